package kubetest

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// podResync is how often the keeper looks again at every pod of its node,
// which retries what failed.
const podResync = 2 * time.Second

// keepPods watches the pods bound to the node until ctx ends: it marks each
// Running, and finishes the deletion of each deleted one, as a kubelet
// does once the containers are gone.
func (n *Node) keepPods(ctx context.Context) {
	defer n.wg.Done()
	factory := informers.NewSharedInformerFactoryWithOptions(n.client, podResync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", n.Name).String()
		}))
	informer := factory.Core().V1().Pods().Informer()
	handle := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			n.noteError(ctx, n.syncPod(ctx, pod))
		}
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	})
	if err != nil {
		n.noteError(ctx, wrap(err, "watching the pods of node %s", n.Name))
		return
	}
	informer.RunWithContext(ctx)
}

// syncPod brings pod to where a kubelet would: deleted for good once it is
// being deleted, else Running unless it has ended.
func (n *Node) syncPod(ctx context.Context, pod *corev1.Pod) error {
	pods := n.client.CoreV1().Pods(pod.Namespace)
	if pod.DeletionTimestamp != nil {
		zero := int64(0)
		err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero,
			Preconditions:      &metav1.Preconditions{UID: &pod.UID},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return wrap(err, "deleting pod %s/%s", pod.Namespace, pod.Name)
	}
	if isRunning(pod) || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	running := pod.DeepCopy()
	running.Status = n.runningStatus(pod, metav1.Now())
	_, err := pods.UpdateStatus(ctx, running, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // a newer version comes, or none
	}
	return wrap(err, "marking pod %s/%s running", pod.Namespace, pod.Name)
}

// isRunning reports whether pod is Running and Ready.
func isRunning(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// runningStatus returns the status of pod with its containers started at
// now and ready.
func (n *Node) runningStatus(pod *corev1.Pod, now metav1.Time) corev1.PodStatus {
	status := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    n.spec.Address,
		HostIPs:   []corev1.HostIP{{IP: n.spec.Address}},
		StartTime: pod.Status.StartTime,
		QOSClass:  pod.Status.QOSClass,
	}
	if status.StartTime == nil {
		status.StartTime = &now
	}
	if n.spec.PodIP != nil {
		if ip := n.spec.PodIP(pod); ip != "" {
			status.PodIP = ip
			status.PodIPs = []corev1.PodIP{{IP: ip}}
		}
	}
	for _, t := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized,
		corev1.ContainersReady, corev1.PodReady, corev1.PodScheduled} {
		status.Conditions = append(status.Conditions,
			corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, c := range pod.Spec.Containers {
		status.ContainerStatuses = append(status.ContainerStatuses, runningContainer(pod, c, now))
	}
	return status
}

// runningContainer returns the status of container c of pod, started at
// now and ready.
func runningContainer(pod *corev1.Pod, c corev1.Container, now metav1.Time) corev1.ContainerStatus {
	started := true
	return corev1.ContainerStatus{
		Name:        c.Name,
		Image:       c.Image,
		ImageID:     "kubetest://" + c.Image,
		ContainerID: "kubetest://" + string(pod.UID) + "/" + c.Name,
		Ready:       true,
		Started:     &started,
		State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
	}
}
