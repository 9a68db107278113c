package agent

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

func TestPodVolumeDir(t *testing.T) {
	pv := func(src corev1.PersistentVolumeSource) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"}, Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: src}}
	}
	tests := []struct {
		name, uid string
		pv        *corev1.PersistentVolume
		want, err string
	}{
		{"csi", "u1", pv(corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "d", VolumeHandle: "h"}}),
			"/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv-1/mount", ""},
		{"local", "u1", pv(corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disks/a"}}),
			"/var/lib/kubelet/pods/u1/volumes/kubernetes.io~local-volume/pv-1", ""},
		{"nfs", "u1", pv(corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/x"}}),
			"/var/lib/kubelet/pods/u1/volumes/kubernetes.io~nfs/pv-1", ""},
		{"hostPath", "u1", pv(corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/vol/alice/"}}),
			"/srv/vol/alice", ""},
		{"unknown kind", "u1", pv(corev1.PersistentVolumeSource{ISCSI: &corev1.ISCSIPersistentVolumeSource{}}), "", "does not know where"},
		{"odd pod UID", "../../etc", pv(corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{}}), "", "not a plain name"},
	}
	for _, tt := range tests {
		got, err := podVolumeDir(DefaultKubeletDir, types.UID(tt.uid), tt.pv)
		if got != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: podVolumeDir = %q, %v; want %q, %q", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// volumeGuest is alice's Guest name, a volume guest of claim, placed here.
func volumeGuest(name, claim string) *v1alpha1.Guest {
	g := placed(name, testNode, v1alpha1.PhaseScheduled)
	g.Spec.Storage = v1alpha1.GuestStorage{Class: v1alpha1.StorageVolume, Claim: claim}
	return g
}

func TestVolumeGuestIsAssignedItsVolume(t *testing.T) {
	g := volumeGuest("web", "web-files")
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "web-files"},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: "pv-web"},
		Status:     corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
	}
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-web"},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "d", VolumeHandle: "h"}}}}
	f := newFixture(t, g, podOf(g, testNode, corev1.PodRunning), pvc, pv)
	f.sync(g.Name)
	want := "/var/lib/kubelet/pods/pod-uid-web/volumes/kubernetes.io~csi/pv-web/mount"
	if len(f.node.assigned) != 1 || f.node.assigned[0].Volume != want || f.node.assigned[0].Storage != "volume" {
		t.Errorf("assignments %+v; want one with volume %s", f.node.assigned, want)
	}
}

func TestVolumeGuestWaitsForItsClaim(t *testing.T) {
	g := volumeGuest("web", "web-files")
	pending := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "web-files"},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	for _, objs := range [][]client.Object{{}, {pending}} {
		f := newFixture(t, append(objs, g.DeepCopy(), podOf(g, testNode, corev1.PodRunning))...)
		_, err := f.s.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: testNS, Name: g.Name}})
		if err == nil || !strings.Contains(err.Error(), "claim web-files") || len(f.node.calls) != 0 {
			t.Errorf("with claim %v: err %v, node calls %v; want an error naming the claim, nothing assigned", objs, err, f.node.calls)
		}
	}
}
