package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// Labels and keys of placeholder pods and agent nodes.
const (
	// LabelGuest on a placeholder pod is its Guest's name, as
	// v1alpha1.LabelValue writes it.
	LabelGuest = "vmhost.dev/guest"
	// LabelAgent marks the nodes that run a vmhost agent; placeholder pods
	// select it.
	LabelAgent = "vmhost.dev/agent"
	// ContainerName is the placeholder pod's container.
	ContainerName = "guest"
	// VolumeName is the pod volume of a volume guest's claim.
	VolumeName = "guest-files"
	// VolumeMountPath is where the claim is mounted in the pause container.
	VolumeMountPath = "/vmhost/guest"
)

// placeholderPod is the pod that holds g's place on a node: its requests and
// limits are g's CPUs and memory, it runs only the pause image in the
// node's network (it serves nothing and needs no address), it tolerates a
// node that is not ready for TolerationSeconds only, and for a volume guest
// it mounts the claim, so the scheduler places it where the volume can be;
// a local guest that has a home node is placed there only.
func placeholderPod(g *v1alpha1.Guest, o Options) *corev1.Pod {
	tolerate := o.TolerationSeconds
	grace := o.TerminationGracePeriodSeconds
	no := false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: g.Name + "-",
			Namespace:    g.Namespace,
			Labels:       map[string]string{LabelGuest: v1alpha1.LabelValue(g.Name)},
		},
		Spec: corev1.PodSpec{
			NodeSelector:                  map[string]string{LabelAgent: "true"},
			Tolerations:                   lostNodeTolerations(tolerate),
			TerminationGracePeriodSeconds: &grace,
			PriorityClassName:             o.PriorityClassName,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			// The guest's network is vmhostd's: the pod takes no address
			// of the pod network, and its node's kubelet no CNI call.
			HostNetwork:   true,
			RestartPolicy: corev1.RestartPolicyAlways,
			Containers: []corev1.Container{{
				Name:      ContainerName,
				Image:     o.PauseImage,
				Resources: podResources(g.Spec.Limits),
			}},
		},
	}
	if g.Spec.StorageClassOrDefault() == v1alpha1.StorageVolume {
		addClaim(pod, g.Spec.Storage.Claim)
	} else if g.Status.Home != "" {
		pinToNode(pod, g.Status.Home)
	}
	return pod
}

// pinToNode lets the scheduler place pod on node only, as a DaemonSet's
// pods are: a local guest's files are there.
func pinToNode(pod *corev1.Pod, node string) {
	pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchFields: []corev1.NodeSelectorRequirement{{
					Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node},
				}},
			}},
		},
	}}
}

// lostNodeTolerations let a pod stay on a node that is not ready or
// unreachable for seconds, instead of the default 300.
func lostNodeTolerations(seconds int64) []corev1.Toleration {
	var ts []corev1.Toleration
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		ts = append(ts, corev1.Toleration{
			Key: key, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds,
		})
	}
	return ts
}

// podResources are requests and limits both equal to the guest's CPUs and
// memory, so a guest with both is in the Guaranteed QoS class.
func podResources(l v1alpha1.GuestLimits) corev1.ResourceRequirements {
	rl := corev1.ResourceList{}
	add := func(name corev1.ResourceName, q *resource.Quantity) {
		if q != nil && !q.IsZero() {
			rl[name] = q.DeepCopy()
		}
	}
	add(corev1.ResourceCPU, l.CPUs)
	add(corev1.ResourceMemory, l.Memory)
	if len(rl) == 0 {
		return corev1.ResourceRequirements{}
	}
	return corev1.ResourceRequirements{Requests: rl, Limits: rl.DeepCopy()}
}

// addClaim mounts the PersistentVolumeClaim claim into pod.
func addClaim(pod *corev1.Pod, claim string) {
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
		Name: VolumeName,
		VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
		},
	})
	c := &pod.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeName, MountPath: VolumeMountPath})
}
