package agent

import (
	"context"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// DefaultKubeletDir is the kubelet's root directory, where it mounts pods'
// volumes (its --root-dir).
const DefaultKubeletDir = "/var/lib/kubelet"

// volumeDir is where the volume of g's claim is mounted on this node for
// its running pod, found as the kubelet lays volumes out: a hostPath
// volume at its path, the others under
// KUBELET/pods/POD_UID/volumes/PLUGIN/PV_NAME. It reads the claim and its
// PersistentVolume through r.
func volumeDir(ctx context.Context, r client.Reader, kubeletDir string, g *v1alpha1.Guest, pod *corev1.Pod) (string, error) {
	claim := g.Spec.Storage.Claim
	var pvc corev1.PersistentVolumeClaim
	if err := r.Get(ctx, types.NamespacedName{Namespace: g.Namespace, Name: claim}, &pvc); err != nil {
		return "", fmt.Errorf("reading the guest's claim %s: %w", claim, err)
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
		return "", fmt.Errorf("the guest's claim %s is not bound to a volume yet", claim)
	}
	var pv corev1.PersistentVolume
	if err := r.Get(ctx, types.NamespacedName{Name: pvc.Spec.VolumeName}, &pv); err != nil {
		return "", fmt.Errorf("reading the volume %s of claim %s: %w", pvc.Spec.VolumeName, claim, err)
	}
	return podVolumeDir(kubeletDir, pod.UID, &pv)
}

// podVolumeDir is where the kubelet of kubeletDir mounts pv for the pod
// of uid.
func podVolumeDir(kubeletDir string, uid types.UID, pv *corev1.PersistentVolume) (string, error) {
	s := pv.Spec.PersistentVolumeSource
	plugin, sub := "", ""
	switch {
	case s.HostPath != nil:
		return filepath.Clean(s.HostPath.Path), nil
	case s.CSI != nil:
		plugin, sub = "kubernetes.io~csi", "mount"
	case s.Local != nil:
		plugin = "kubernetes.io~local-volume"
	case s.NFS != nil:
		plugin = "kubernetes.io~nfs"
	default:
		return "", fmt.Errorf("volume %s is of a kind the agent does not know where the kubelet mounts (it knows hostPath, local, nfs and CSI volumes)", pv.Name)
	}
	if uid == "" || filepath.Base(string(uid)) != string(uid) {
		return "", fmt.Errorf("pod UID %q is not a plain name", uid)
	}
	return filepath.Join(kubeletDir, "pods", string(uid), "volumes", plugin, pv.Name, sub), nil
}
