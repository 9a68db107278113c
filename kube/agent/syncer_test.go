package agent

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
)

const (
	testNS   = "vmhost"
	testNode = "n1"
	testEnd  = "10.1.2.3:7443"
)

// placed is alice's Guest name, running, placed on node in phase.
func placed(name, node string, phase v1alpha1.Phase) *v1alpha1.Guest {
	cpus, mem, disk := resource.MustParse("1500m"), resource.MustParse("1Gi"), resource.MustParse("10Gi")
	return &v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.ResourceName("alice", name), Namespace: testNS, UID: types.UID("uid-" + name)},
		Spec: v1alpha1.GuestSpec{
			Owner: "alice", Name: name, Image: "debian", Running: true,
			Limits: v1alpha1.GuestLimits{CPUs: &cpus, Memory: &mem, Disk: &disk, Pids: 200},
		},
		Status: v1alpha1.GuestStatus{Phase: phase, Node: node, Pod: name + "-pod"},
	}
}

// podOf is g's placeholder pod, bound to node, in phase.
func podOf(g *v1alpha1.Guest, node string, phase corev1.PodPhase) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: g.Status.Pod, Namespace: g.Namespace, UID: types.UID("pod-" + string(g.UID)),
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.GroupVersion.String(), Kind: "Guest", Name: g.Name, UID: g.UID, Controller: &yes,
			}},
		},
		Spec:   corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "guest", Image: "pause"}}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

type fixture struct {
	t    *testing.T
	c    client.Client
	node *fakeNode
	s    *Syncer
}

func newFixture(t *testing.T, objs ...client.Object) *fixture {
	t.Helper()
	sch, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(sch).WithObjects(objs...).WithStatusSubresource(&v1alpha1.Guest{}).Build()
	n := newFakeNode()
	return &fixture{t: t, c: c, node: n, s: &Syncer{Client: c, Node: n, Options: Options{NodeName: testNode, Namespace: testNS, Endpoint: testEnd}}}
}

func (f *fixture) sync(name string) ctrl.Result {
	f.t.Helper()
	res, err := f.s.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: testNS, Name: name}})
	if err != nil {
		f.t.Fatalf("Reconcile(%s): %v", name, err)
	}
	return res
}

func (f *fixture) guest(name string) *v1alpha1.Guest {
	f.t.Helper()
	var g v1alpha1.Guest
	if err := f.c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: name}, &g); err != nil {
		f.t.Fatal(err)
	}
	return &g
}

func TestPlacedGuestIsAssignedAndReported(t *testing.T) {
	g := placed("web", testNode, v1alpha1.PhaseScheduled)
	f := newFixture(t, g, podOf(g, testNode, corev1.PodRunning))
	res := f.sync(g.Name)
	want := []Assignment{{Owner: "alice", Name: "web", Image: "debian", Storage: "local", PodUID: "pod-uid-web",
		Limits: Limits{CPUs: 1.5, Memory: 1 << 30, Disk: 10 << 30, Pids: 200}}}
	if diff := cmp.Diff(want, f.node.assigned); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	st := f.guest(g.Name).Status
	if st.Phase != v1alpha1.PhaseStarting || st.Agent != testEnd || st.Node != testNode {
		t.Errorf("status = %+v, want Starting with agent %s", st, testEnd)
	}
	if res.RequeueAfter != DefaultPoll {
		t.Errorf("RequeueAfter = %v while starting, want %v", res.RequeueAfter, DefaultPoll)
	}
	f.node.start("alice", "web", "10.0.0.5")
	res = f.sync(g.Name)
	st = f.guest(g.Name).Status
	if st.Phase != v1alpha1.PhaseRunning || st.Address != "10.0.0.5" {
		t.Errorf("status = %+v, want Running at 10.0.0.5", st)
	}
	if res.RequeueAfter != DefaultResync {
		t.Errorf("RequeueAfter = %v while running, want %v", res.RequeueAfter, DefaultResync)
	}
}

func TestGuestWaitsForItsPod(t *testing.T) {
	g := placed("web", testNode, v1alpha1.PhaseScheduled)
	other := placed("other", testNode, v1alpha1.PhaseScheduled)
	tests := []struct {
		name string
		pod  *corev1.Pod
	}{
		{"no pod yet", nil},
		{"pod not running yet", podOf(g, testNode, corev1.PodPending)},
		{"pod on another node", podOf(g, "n2", corev1.PodRunning)},
		{"pod of another guest", func() *corev1.Pod { p := podOf(other, testNode, corev1.PodRunning); p.Name = g.Status.Pod; return p }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []client.Object{g.DeepCopy()}
			if tt.pod != nil {
				objs = append(objs, tt.pod)
			}
			f := newFixture(t, objs...)
			res := f.sync(g.Name)
			if len(f.node.calls) != 0 || res.RequeueAfter != DefaultPoll {
				t.Errorf("node calls %v, RequeueAfter %v; want none, %v", f.node.calls, res.RequeueAfter, DefaultPoll)
			}
			if st := f.guest(g.Name).Status; st.Phase != v1alpha1.PhaseScheduled {
				t.Errorf("phase = %s, want Scheduled", st.Phase)
			}
		})
	}
}

func TestGuestsNotToRunHereAreUnassigned(t *testing.T) {
	tests := []struct {
		name  string
		guest *v1alpha1.Guest
		phase v1alpha1.Phase // the phase after
	}{
		{"placed elsewhere", placed("web", "n2", v1alpha1.PhaseScheduled), v1alpha1.PhaseScheduled},
		{"lost", placed("web", "", v1alpha1.PhaseLost), v1alpha1.PhaseLost},
		{"pending", placed("web", "", v1alpha1.PhasePending), v1alpha1.PhasePending},
		{"stopped by its owner", func() *v1alpha1.Guest {
			g := placed("web", testNode, v1alpha1.PhaseRunning)
			g.Spec.Running = false
			return g
		}(), v1alpha1.PhaseStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.guest)
			_ = f.node.Assign(context.Background(), Assignment{Owner: "alice", Name: "web"})
			f.sync(tt.guest.Name)
			if f.node.has("alice", "web") {
				t.Errorf("alice+web still assigned")
			}
			if st := f.guest(tt.guest.Name).Status; st.Phase != tt.phase {
				t.Errorf("phase = %s, want %s", st.Phase, tt.phase)
			}
		})
	}
}

func TestDeletedGuestIsUnassigned(t *testing.T) {
	f := newFixture(t)
	for _, who := range [][2]string{{"alice", "web"}, {"_svc", "_svc"}} {
		_ = f.node.Assign(context.Background(), Assignment{Owner: who[0], Name: who[1]})
		f.sync(v1alpha1.ResourceName(who[0], who[1]))
		if f.node.has(who[0], who[1]) {
			t.Errorf("%s+%s still assigned after its Guest went", who[0], who[1])
		}
	}
}

func TestSweep(t *testing.T) {
	keep := placed("web", testNode, v1alpha1.PhaseRunning)
	moved := placed("db", "n2", v1alpha1.PhaseScheduled)
	f := newFixture(t, keep, moved, podOf(keep, testNode, corev1.PodRunning))
	for _, n := range []string{"web", "db", "gone"} {
		_ = f.node.Assign(context.Background(), Assignment{Owner: "alice", Name: n})
	}
	if err := f.s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, _ := f.node.List(context.Background())
	var got []string
	for _, g := range list {
		got = append(got, g.Owner+"+"+g.Name)
	}
	if diff := cmp.Diff([]string{"alice+web"}, got); diff != "" {
		t.Errorf("assigned after sweep (-want +got):\n%s", diff)
	}
}

func TestMisnamedGuestIsNotAssigned(t *testing.T) {
	g := placed("web", testNode, v1alpha1.PhaseScheduled)
	g.Name = v1alpha1.ResourceName("alice", "db")
	g.Status.Pod = "web-pod"
	f := newFixture(t, g, podOf(g, testNode, corev1.PodRunning))
	f.sync(g.Name)
	if f.node.has("alice", "web") {
		t.Errorf("alice+web assigned from the Guest %s", g.Name)
	}
}
