package agent

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// assignmentOf is what the node is to run for g, whose pod is pod.
func assignmentOf(g *v1alpha1.Guest, pod *corev1.Pod) Assignment {
	l := g.Spec.Limits
	a := Assignment{
		Owner: g.Spec.Owner, Name: g.Spec.Name, Image: g.Spec.Image, PodUID: string(pod.UID),
		Storage: string(g.Spec.StorageClassOrDefault()), Claim: g.Spec.Storage.Claim,
		Limits: Limits{Memory: bytesOf(l.Memory), Disk: bytesOf(l.Disk), Pids: l.Pids},
	}
	if l.CPUs != nil {
		a.Limits.CPUs = float64(l.CPUs.MilliValue()) / 1000
	}
	return a
}

// bytesOf is q in bytes, 0 when unset.
func bytesOf(q *resource.Quantity) int64 {
	if q == nil {
		return 0
	}
	return q.Value()
}

// phaseOf is the Guest phase of a guest assigned to the node in state.
func phaseOf(state string) v1alpha1.Phase {
	if state == StateRunning {
		return v1alpha1.PhaseRunning
	}
	return v1alpha1.PhaseStarting
}

// wanted says whether g is to run on node: placed there by the controller,
// running, and named as its owner and name say (so that no two Guests
// stand for one guest).
func wanted(g *v1alpha1.Guest, node string) bool {
	if g.Status.Node != node || !g.Spec.Running || g.DeletionTimestamp != nil || g.NameProblem() != "" {
		return false
	}
	switch g.Status.Phase {
	case v1alpha1.PhaseScheduled, v1alpha1.PhaseStarting, v1alpha1.PhaseRunning:
		return true
	}
	return false
}

// podRunsHere says whether pod is g's placeholder pod, bound to node and
// running: the kubelet admitted it and mounted its volume.
func podRunsHere(pod *corev1.Pod, g *v1alpha1.Guest, node string) bool {
	return pod.Spec.NodeName == node && pod.DeletionTimestamp == nil &&
		pod.Status.Phase == corev1.PodRunning && metav1.IsControlledBy(pod, g)
}
