package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// cluster is a real API server with the controller running against it.
type cluster struct {
	t  *testing.T
	c  client.Client
	ns string
}

// startCluster starts the API server and the controller, with leader
// election, a short node loss grace and a 1-second toleration.
func startCluster(t *testing.T) *cluster {
	cfg, c, ns := startAPIServer(t)
	mgr, err := NewManager(cfg, Options{
		Namespace: ns, LeaderElection: true, NodeLostGrace: 2 * time.Second, TolerationSeconds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	return &cluster{t: t, c: c, ns: ns}
}

// create stores obj.
func (k *cluster) create(obj client.Object) {
	k.t.Helper()
	if err := k.c.Create(context.Background(), obj); err != nil {
		k.t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// guest is the Guest named name, or nil.
func (k *cluster) guest(name string) *v1alpha1.Guest {
	var g v1alpha1.Guest
	if err := k.c.Get(context.Background(), client.ObjectKey{Namespace: k.ns, Name: name}, &g); err != nil {
		return nil
	}
	return &g
}

// livePods are the pods of the Guest named name not being deleted.
func (k *cluster) livePods(name string) []corev1.Pod {
	var l corev1.PodList
	if err := k.c.List(context.Background(), &l, client.InNamespace(k.ns), client.MatchingLabels{LabelGuest: name}); err != nil {
		k.t.Fatal(err)
	}
	var live []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	return live
}

// onePod waits for the Guest named name to have one live pod, and returns it.
func (k *cluster) onePod(name string) corev1.Pod {
	k.t.Helper()
	var pods []corev1.Pod
	eventually(k.t, 10*time.Second, "no pod for guest "+name, func() bool {
		pods = k.livePods(name)
		return len(pods) == 1
	})
	return pods[0]
}

// waitPhase waits for the Guest named name to be in phase, and returns it.
func (k *cluster) waitPhase(name string, phase v1alpha1.Phase) *v1alpha1.Guest {
	k.t.Helper()
	var g *v1alpha1.Guest
	eventually(k.t, 15*time.Second, "guest "+name+" not "+string(phase), func() bool {
		g = k.guest(name)
		return g != nil && g.Status.Phase == phase
	})
	return g
}

// node creates a Node with the agent label, Ready.
func (k *cluster) node(name string) {
	k.t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelAgent: "true"}}}
	k.create(n)
	k.setReady(name, corev1.ConditionTrue)
}

// setReady sets the Ready condition of node, as the node lifecycle
// controller or a kubelet would.
func (k *cluster) setReady(name string, status corev1.ConditionStatus) {
	k.t.Helper()
	var n corev1.Node
	if err := k.c.Get(context.Background(), client.ObjectKey{Name: name}, &n); err != nil {
		k.t.Fatal(err)
	}
	n.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: status, Reason: "Test",
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
	}}
	if err := k.c.Status().Update(context.Background(), &n); err != nil {
		k.t.Fatal(err)
	}
}

// bind binds pod to node through the binding subresource, as
// kube-scheduler does.
func (k *cluster) bind(pod *corev1.Pod, node string) {
	k.t.Helper()
	b := &corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: node}}
	if err := k.c.SubResource("binding").Create(context.Background(), pod, b); err != nil {
		k.t.Fatalf("binding pod %s to %s: %v", pod.Name, node, err)
	}
}

// apiGuest is a Guest of alice's named name, as a user would create it.
func apiGuest(ns, name string, storage v1alpha1.StorageClass) *v1alpha1.Guest {
	g := newGuest(name, true, storage)
	g.UID, g.Generation, g.Namespace = "", 0, ns
	return g
}

func TestClusterPodFollowsRunning(t *testing.T) {
	k := startCluster(t)
	g := apiGuest(k.ns, "web", v1alpha1.StorageLocal)
	k.create(g)
	pod := k.onePod(g.Name)
	want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")}
	if diff := cmp.Diff(want, pod.Spec.Containers[0].Resources.Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	k.waitPhase(g.Name, v1alpha1.PhasePending)

	const why = "0/3 nodes are available: 3 Insufficient memory."
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: why}}
	if err := k.c.Status().Update(context.Background(), &pod); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the scheduler's reason not in the guest's status", func() bool {
		st := k.guest(g.Name).Status
		return st.Phase == v1alpha1.PhasePending && st.Message == why
	})

	cur := k.guest(g.Name)
	cur.Spec.Running = false
	if err := k.c.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the pod of a stopped guest is still there", func() bool {
		return len(k.livePods(g.Name)) == 0
	})
	k.waitPhase(g.Name, v1alpha1.PhaseStopped)
}

func TestClusterNodeLoss(t *testing.T) {
	k := startCluster(t)
	k.node("n1")
	k.node("n2")
	vol := apiGuest(k.ns, "vol", v1alpha1.StorageVolume)
	loc := apiGuest(k.ns, "loc", v1alpha1.StorageLocal)
	k.create(vol)
	k.create(loc)
	volPod, locPod := k.onePod(vol.Name), k.onePod(loc.Name)
	k.bind(&volPod, "n1")
	k.bind(&locPod, "n1")
	if g := k.waitPhase(vol.Name, v1alpha1.PhaseScheduled); g.Status.Node != "n1" {
		t.Fatalf("volume guest on %q, want n1", g.Status.Node)
	}
	k.waitPhase(loc.Name, v1alpha1.PhaseScheduled)

	k.setReady("n1", corev1.ConditionUnknown)
	g := k.waitPhase(loc.Name, v1alpha1.PhaseLost)
	if !strings.Contains(g.Status.Message, "files were on node n1") {
		t.Errorf("lost guest's message = %q, want it to name n1", g.Status.Message)
	}
	if pods := k.livePods(loc.Name); len(pods) != 0 {
		t.Errorf("lost local guest has %d pods, want 0", len(pods))
	}
	var fresh corev1.Pod
	eventually(t, 15*time.Second, "the volume guest got no new pod", func() bool {
		pods := k.livePods(vol.Name)
		if len(pods) == 1 && pods[0].UID != volPod.UID {
			fresh = pods[0]
			return true
		}
		return false
	})
	if fresh.Spec.NodeName != "" {
		t.Errorf("new pod bound to %q before any scheduler ran", fresh.Spec.NodeName)
	}
	k.bind(&fresh, "n2")
	eventually(t, 10*time.Second, "the volume guest is not Scheduled on n2", func() bool {
		st := k.guest(vol.Name).Status
		return st.Phase == v1alpha1.PhaseScheduled && st.Node == "n2"
	})
}

func TestClusterLocalGuestStartsAgainAtHome(t *testing.T) {
	k := startCluster(t)
	k.node("n1")
	g := apiGuest(k.ns, "web", v1alpha1.StorageLocal)
	k.create(g)
	pod := k.onePod(g.Name)
	k.bind(&pod, "n1")
	k.waitPhase(g.Name, v1alpha1.PhaseScheduled)
	for _, running := range []bool{false, true} {
		cur := k.guest(g.Name)
		cur.Spec.Running = running
		if err := k.c.Update(context.Background(), cur); err != nil {
			t.Fatal(err)
		}
		if !running {
			k.waitPhase(g.Name, v1alpha1.PhaseStopped)
			// No kubelet runs: finish the pod's graceful deletion as
			// n1's kubelet would once its container stopped.
			if err := k.c.Delete(context.Background(), &pod, client.GracePeriodSeconds(0)); err != nil {
				t.Fatalf("finishing the deletion of pod %s: %v", pod.Name, err)
			}
		}
	}
	var again corev1.Pod
	eventually(t, 10*time.Second, "no new pod after running again", func() bool {
		pods := k.livePods(g.Name)
		if len(pods) == 1 && pods[0].UID != pod.UID {
			again = pods[0]
			return true
		}
		return false
	})
	if got := pinnedTo(&again); got != "n1" {
		t.Errorf("the local guest's new pod is pinned to %q, want its home n1", got)
	}
	if st := k.guest(g.Name).Status; st.Home != "n1" {
		t.Errorf("home = %q, want n1", st.Home)
	}
}

func TestClusterCRDValidation(t *testing.T) {
	_, c, ns := startAPIServer(t)
	tests := []struct {
		name    string
		change  func(*v1alpha1.Guest)
		wantErr string // "" for none
	}{
		{"default guest", func(g *v1alpha1.Guest) { g.Spec.Name = "alice" }, ""},
		{"named guest", func(*v1alpha1.Guest) {}, ""},
		{"user name with _", func(g *v1alpha1.Guest) { g.Spec.Owner, g.Spec.Name = "_svc", "_svc" }, ""},
		{"upper-case owner", func(g *v1alpha1.Guest) { g.Spec.Owner = "Alice" }, "spec.owner"},
		{"guest name with _ not the owner's", func(g *v1alpha1.Guest) { g.Spec.Name = "_web" }, "name is the owner's name"},
		{"volume without claim", func(g *v1alpha1.Guest) { g.Spec.Storage = v1alpha1.GuestStorage{Class: v1alpha1.StorageVolume} }, "names its PersistentVolumeClaim"},
		{"unknown storage class", func(g *v1alpha1.Guest) { g.Spec.Storage.Class = "nfs" }, "spec.storage.class"},
		{"another owner's name", func(g *v1alpha1.Guest) { g.Name = "bob.web" }, "the name of a Guest"},
		{"another guest's name", func(g *v1alpha1.Guest) { g.Name = "alice" }, "the name of a Guest"},
		{"readable names written encoded", func(g *v1alpha1.Guest) { g.Name = v1alpha1.ResourceName("_x", "web") }, "the name of a Guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := apiGuest(ns, "web", v1alpha1.StorageLocal)
			g.Name = ""
			tt.change(g)
			if g.Name == "" {
				g.Name = v1alpha1.ResourceName(g.Spec.Owner, g.Spec.Name)
			}
			err := c.Create(context.Background(), g)
			if err == nil {
				_ = c.Delete(context.Background(), g)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("creating %s %+v: %v", g.Name, g.Spec, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("creating %s %+v: %v, want an error about %q", g.Name, g.Spec, err, tt.wantErr)
			}
		})
	}
}
