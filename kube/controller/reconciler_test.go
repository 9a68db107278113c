package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

const testNS = "vmhost"

// t0 is the fake clock's time.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newGuest is a Guest of alice's named name.
func newGuest(name string, running bool, storage v1alpha1.StorageClass) *v1alpha1.Guest {
	cpus, mem := resource.MustParse("1"), resource.MustParse("512Mi")
	g := &v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.ResourceName("alice", name), Namespace: testNS, UID: "uid-" + "alice-" + "name", Generation: 1},
		Spec: v1alpha1.GuestSpec{
			Owner: "alice", Name: name, Image: "debian", Running: running,
			Limits:  v1alpha1.GuestLimits{CPUs: &cpus, Memory: &mem},
			Storage: v1alpha1.GuestStorage{Class: storage},
		},
	}
	if storage == v1alpha1.StorageVolume {
		g.Spec.Storage.Claim = "alice-files"
	}
	return g
}

// readyNode is a node whose Ready condition is status since since.
func readyNode(name string, status corev1.ConditionStatus, since time.Time) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: status, LastTransitionTime: metav1.NewTime(since),
		}}},
	}
}

// fixture is a reconciler over a fake client holding objs.
type fixture struct {
	t *testing.T
	c client.Client
	r *Reconciler
}

func newFixture(t *testing.T, objs ...client.Object) *fixture {
	t.Helper()
	s, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Guest{}).Build()
	r := &Reconciler{Client: c, Pods: c, Scheme: s, Now: func() time.Time { return t0 }}
	return &fixture{t: t, c: c, r: r}
}

// reconcile reconciles the Guest named name.
func (f *fixture) reconcile(name string) ctrl.Result {
	f.t.Helper()
	res, err := f.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: testNS, Name: name}})
	if err != nil {
		f.t.Fatalf("Reconcile(%s): %v", name, err)
	}
	return res
}

// guest reads the Guest named name.
func (f *fixture) guest(name string) *v1alpha1.Guest {
	f.t.Helper()
	var g v1alpha1.Guest
	if err := f.c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: name}, &g); err != nil {
		f.t.Fatal(err)
	}
	return &g
}

// pods are the pods in the test namespace.
func (f *fixture) pods() []corev1.Pod {
	f.t.Helper()
	var l corev1.PodList
	if err := f.c.List(context.Background(), &l, client.InNamespace(testNS)); err != nil {
		f.t.Fatal(err)
	}
	return l.Items
}

// onlyPod is the one pod in the namespace.
func (f *fixture) onlyPod() *corev1.Pod {
	f.t.Helper()
	pods := f.pods()
	if len(pods) != 1 {
		f.t.Fatalf("%d pods, want 1: %+v", len(pods), pods)
	}
	return &pods[0]
}

// updatePod applies change to pod and stores it, status included.
func (f *fixture) updatePod(pod *corev1.Pod, change func(*corev1.Pod)) {
	f.t.Helper()
	change(pod)
	st := pod.Status
	if err := f.c.Update(context.Background(), pod); err != nil {
		f.t.Fatal(err)
	}
	pod.Status = st
	if err := f.c.Status().Update(context.Background(), pod); err != nil {
		f.t.Fatal(err)
	}
}

func TestRunningGuestGetsPlaceholderPod(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	f := newFixture(t, g)
	f.reconcile(g.Name)
	pod := f.onlyPod()
	want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")}
	c := pod.Spec.Containers[0]
	if diff := cmp.Diff(want, c.Resources.Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, c.Resources.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	if c.Image != DefaultPauseImage {
		t.Errorf("image = %q, want %q", c.Image, DefaultPauseImage)
	}
	if !pod.Spec.HostNetwork {
		t.Error("the placeholder pod is in the pod network; want the node's, taking no pod address")
	}
	if pod.Labels[LabelGuest] != "alice.web" || pod.Spec.NodeSelector[LabelAgent] != "true" {
		t.Errorf("labels %v, node selector %v", pod.Labels, pod.Spec.NodeSelector)
	}
	if !metav1.IsControlledBy(pod, g) {
		t.Errorf("pod owners %+v, want the guest", pod.OwnerReferences)
	}
	var keys []string
	for _, tol := range pod.Spec.Tolerations {
		if *tol.TolerationSeconds != DefaultTolerationSeconds || tol.Effect != corev1.TaintEffectNoExecute {
			t.Errorf("toleration %+v", tol)
		}
		keys = append(keys, tol.Key)
	}
	if diff := cmp.Diff([]string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable}, keys); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	st := f.guest(g.Name).Status
	if st.Phase != v1alpha1.PhasePending || st.Message != waitingMessage || st.ObservedGeneration != 1 || st.Pod != pod.Name {
		t.Errorf("status = %+v, want Pending, %q, pod %s", st, waitingMessage, pod.Name)
	}
	f.reconcile(g.Name)
	f.onlyPod() // still one
}

func TestVolumeGuestPodMountsClaim(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageVolume)
	f := newFixture(t, g)
	f.reconcile(g.Name)
	pod := f.onlyPod()
	if len(pod.Spec.Volumes) != 1 || pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "alice-files" {
		t.Errorf("volumes %+v, want the claim alice-files", pod.Spec.Volumes)
	}
}

func TestStoppedGuestLosesPod(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	f := newFixture(t, g)
	f.reconcile(g.Name)
	f.onlyPod()
	g = f.guest(g.Name)
	g.Spec.Running = false
	if err := f.c.Update(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	f.reconcile(g.Name)
	if pods := f.pods(); len(pods) != 0 {
		t.Errorf("%d pods after running=false, want 0", len(pods))
	}
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhaseStopped || st.Node != "" {
		t.Errorf("status = %+v, want Stopped on no node", st)
	}
}

func TestPendingCarriesSchedulerReason(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	f := newFixture(t, g)
	f.reconcile(g.Name)
	const why = "0/3 nodes are available: 3 Insufficient memory."
	f.updatePod(f.onlyPod(), func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: why}}
	})
	f.reconcile(g.Name)
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhasePending || st.Message != why {
		t.Errorf("status = %+v, want Pending with %q", st, why)
	}
}

func TestBoundPodSchedulesGuest(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	f := newFixture(t, g, readyNode("n1", corev1.ConditionTrue, t0.Add(-time.Hour)))
	f.reconcile(g.Name)
	f.updatePod(f.onlyPod(), func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
	f.reconcile(g.Name)
	st := f.guest(g.Name).Status
	if st.Phase != v1alpha1.PhaseScheduled || st.Node != "n1" {
		t.Fatalf("status = %+v, want Scheduled on n1", st)
	}
	// The agent's Running stays.
	g = f.guest(g.Name)
	g.Status.Phase, g.Status.Address, g.Status.Agent = v1alpha1.PhaseRunning, "10.0.0.2", "n1:7443"
	if err := f.c.Status().Update(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	f.reconcile(g.Name)
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhaseRunning || st.Address != "10.0.0.2" {
		t.Errorf("status = %+v, want the agent's Running kept", st)
	}
}

func TestNodeLoss(t *testing.T) {
	tests := []struct {
		name      string
		storage   v1alpha1.StorageClass
		node      *corev1.Node
		wantPhase v1alpha1.Phase
		wantPods  int // live pods after
		wantWait  bool
	}{
		{"volume, node not ready past grace", v1alpha1.StorageVolume, readyNode("n1", corev1.ConditionFalse, t0.Add(-time.Minute)), v1alpha1.PhasePending, 1, false},
		{"local, node unknown past grace", v1alpha1.StorageLocal, readyNode("n1", corev1.ConditionUnknown, t0.Add(-time.Minute)), v1alpha1.PhaseLost, 0, false},
		{"local, node gone", v1alpha1.StorageLocal, nil, v1alpha1.PhaseLost, 0, false},
		{"local, node not ready within grace", v1alpha1.StorageLocal, readyNode("n1", corev1.ConditionFalse, t0.Add(-10*time.Second)), v1alpha1.PhaseScheduled, 1, true},
		{"volume, node ready", v1alpha1.StorageVolume, readyNode("n1", corev1.ConditionTrue, t0.Add(-time.Minute)), v1alpha1.PhaseScheduled, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuest("web", true, tt.storage)
			objs := []client.Object{g}
			if tt.node != nil {
				objs = append(objs, tt.node)
			}
			f := newFixture(t, objs...)
			f.reconcile(g.Name)
			old := f.onlyPod()
			f.updatePod(old, func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
			res := f.reconcile(g.Name)
			st := f.guest(g.Name).Status
			if st.Phase != tt.wantPhase {
				t.Errorf("phase = %s (%s), want %s", st.Phase, st.Message, tt.wantPhase)
			}
			pods := f.pods()
			if len(pods) != tt.wantPods {
				t.Fatalf("%d pods, want %d", len(pods), tt.wantPods)
			}
			if tt.wantPods == 1 && tt.wantPhase == v1alpha1.PhasePending && (pods[0].Name == old.Name || pods[0].Spec.NodeName != "") {
				t.Errorf("pod %s on %q, want a new unbound pod", pods[0].Name, pods[0].Spec.NodeName)
			}
			if tt.wantPhase == v1alpha1.PhaseLost && !strings.Contains(st.Message, "files were on node n1") {
				t.Errorf("message = %q, want it to say the files were on n1", st.Message)
			}
			if got := res.RequeueAfter > 0; got != tt.wantWait {
				t.Errorf("RequeueAfter = %v, want a wait: %v", res.RequeueAfter, tt.wantWait)
			}
		})
	}
}

func TestLostGuestStaysLostUntilAcknowledged(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	f := newFixture(t, g)
	f.reconcile(g.Name)
	f.updatePod(f.onlyPod(), func(p *corev1.Pod) { p.Spec.NodeName = "gone" })
	f.reconcile(g.Name)
	f.reconcile(g.Name)
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhaseLost || len(f.pods()) != 0 {
		t.Fatalf("status = %+v with %d pods, want Lost with none", st, len(f.pods()))
	}
	setRunning(t, f, g.Name, false)
	f.reconcile(g.Name)
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhaseStopped || isLost(&st) {
		t.Fatalf("status = %+v, want Stopped, not lost", st)
	}
	setRunning(t, f, g.Name, true)
	f.reconcile(g.Name)
	f.onlyPod()
	if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhasePending {
		t.Errorf("phase = %s, want Pending", st.Phase)
	}
}

func TestEvictedPodOnNotReadyNode(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageVolume)
	f := newFixture(t, g, readyNode("n1", corev1.ConditionUnknown, t0.Add(-5*time.Second)))
	f.reconcile(g.Name)
	f.updatePod(f.onlyPod(), func(p *corev1.Pod) {
		p.Spec.NodeName = "n1"
		p.Finalizers = []string{"test/hold"} // so the delete below leaves it terminating
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "DeletionByTaintManager"}}
	})
	old := f.onlyPod()
	if err := f.c.Delete(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	f.reconcile(g.Name)
	var fresh int
	for _, p := range f.pods() {
		if p.Name != old.Name && p.DeletionTimestamp == nil {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d new pods, want 1", fresh)
	}
}

// setRunning sets the spec.running of the Guest named name.
func setRunning(t *testing.T, f *fixture, name string, running bool) {
	t.Helper()
	g := f.guest(name)
	g.Spec.Running = running
	if err := f.c.Update(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}

func TestStatusConflictIsRetried(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	s, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(g).WithStatusSubresource(&v1alpha1.Guest{}).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
				return apierrors.NewConflict(v1alpha1.GroupVersion.WithResource("guests").GroupResource(), g.Name, errors.New("changed"))
			},
		}).Build()
	r := &Reconciler{Client: c, Pods: c, Scheme: s}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(g)})
	if err != nil || res.RequeueAfter != conflictRetry {
		t.Errorf("Reconcile = %+v, %v; want a retry after %v and no error", res, err, conflictRetry)
	}
}

// pinnedTo is the node pod's required node affinity names, or "".
func pinnedTo(pod *corev1.Pod) string {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchFields) != 1 || terms[0].MatchFields[0].Key != "metadata.name" {
		return ""
	}
	return strings.Join(terms[0].MatchFields[0].Values, ",")
}

func TestLocalGuestKeepsItsHome(t *testing.T) {
	tests := []struct {
		storage  v1alpha1.StorageClass
		home     *corev1.Node // the home node when the guest starts again
		wantHome string
		wantPin  string
		want     v1alpha1.Phase
	}{
		{v1alpha1.StorageLocal, readyNode("n1", corev1.ConditionTrue, t0.Add(-time.Hour)), "n1", "n1", v1alpha1.PhasePending},
		{v1alpha1.StorageLocal, nil, "", "", v1alpha1.PhaseLost},
		{v1alpha1.StorageVolume, nil, "", "", v1alpha1.PhasePending},
	}
	for _, tt := range tests {
		t.Run(string(tt.storage), func(t *testing.T) {
			g := newGuest("web", true, tt.storage)
			f := newFixture(t, g, readyNode("n1", corev1.ConditionTrue, t0.Add(-time.Hour)))
			f.reconcile(g.Name)
			f.updatePod(f.onlyPod(), func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
			f.reconcile(g.Name)
			setRunning(t, f, g.Name, false)
			f.reconcile(g.Name)
			if tt.home == nil {
				n := &corev1.Node{}
				if err := f.c.Get(context.Background(), client.ObjectKey{Name: "n1"}, n); err != nil {
					t.Fatal(err)
				}
				if err := f.c.Delete(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			setRunning(t, f, g.Name, true)
			f.reconcile(g.Name)
			st := f.guest(g.Name).Status
			if st.Phase != tt.want || st.Home != tt.wantHome {
				t.Fatalf("status = %+v, want %s with home %q", st, tt.want, tt.wantHome)
			}
			if tt.want == v1alpha1.PhaseLost {
				if n := len(f.pods()); n != 0 {
					t.Errorf("%d pods, want none", n)
				}
				return
			}
			if got := pinnedTo(f.onlyPod()); got != tt.wantPin {
				t.Errorf("pod pinned to %q, want %q", got, tt.wantPin)
			}
		})
	}
}

func TestMisnamedGuestGetsNoPod(t *testing.T) {
	g := newGuest("web", true, v1alpha1.StorageLocal)
	g.Spec.Owner = "_bob"
	g.Name = v1alpha1.ResourceName("_bob", "_bob") // encoded, so the CRD cannot tell
	f := newFixture(t, g)
	f.reconcile(g.Name)
	if n := len(f.pods()); n != 0 {
		t.Errorf("%d pods for a misnamed Guest, want 0", n)
	}
	st := f.guest(g.Name).Status
	if st.Phase != v1alpha1.PhasePending || !strings.Contains(st.Message, "must be named "+v1alpha1.ResourceName("_bob", "web")) {
		t.Errorf("status = %+v, want Pending saying the right name", st)
	}
}
