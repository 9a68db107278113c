package kubernetes

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
	"vmhost/kube/kubetest"
)

// testAgentPolicy: with the manifests applied, the agents' service
// account, through a token bound to its pod on node A, writes the status
// of a Guest placed on A, and is refused for a Guest on B, for moving a
// Guest to B, for changing its pod, for its spec, and with a token bound
// to no pod.
func testAgentPolicy(t *testing.T, cp *kubetest.ControlPlane) {
	ctx := context.Background()
	sch, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cp.Config, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"node-a", "node-b"} {
		create(t, admin, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: "agent-a"},
		Spec: corev1.PodSpec{NodeName: "node-a", ServiceAccountName: "vmhost-agent",
			Containers: []corev1.Container{{Name: "agent", Image: "vmhost:latest"}}},
	}
	create(t, admin, pod)
	onA := placedGuest(t, admin, "alice", "node-a")
	onB := placedGuest(t, admin, "bob", "node-b")
	cfg, err := cp.PodConfig(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}

	// The policy is in force once the API server has read it.
	waitRefused(t, func() error {
		return writeStatus(agent, onB, func(st *v1alpha1.GuestStatus) { st.Message = "mine now" })
	},
		"may write only the status of Guests placed on it")
	if err := writeStatus(agent, onA, func(st *v1alpha1.GuestStatus) { st.Phase, st.Address = v1alpha1.PhaseRunning, "10.0.0.2" }); err != nil {
		t.Errorf("the agent of node-a writing the status of a Guest on node-a: %v", err)
	}
	refused := []struct {
		name, want string
		change     func(*v1alpha1.GuestStatus)
	}{
		{"moving it to node-b", "may not place a Guest on another node", func(st *v1alpha1.GuestStatus) { st.Node = "node-b" }},
		{"changing its pod", "may not change a Guest's pod", func(st *v1alpha1.GuestStatus) { st.Pod = "elsewhere" }},
	}
	for _, tt := range refused {
		if err := writeStatus(agent, onA, tt.change); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want refused with %q", tt.name, err, tt.want)
		}
	}
	g := get(t, agent, onA)
	g.Spec.Running = false
	if err := agent.Update(ctx, g); err == nil || !strings.Contains(err.Error(), "forbidden") && !strings.Contains(err.Error(), "only writes Guests' status") {
		t.Errorf("the agent changing a Guest's spec: %v; want refused", err)
	}
	if err := writeStatus(agent, onA, func(st *v1alpha1.GuestStatus) { st.Node, st.Phase = "", v1alpha1.PhaseStopped }); err != nil {
		t.Errorf("the agent of node-a releasing its Guest (no node): %v", err)
	}
	unbound := unboundClient(t, admin, cp)
	if err := writeStatus(unbound, onB, func(st *v1alpha1.GuestStatus) { st.Message = "x" }); err == nil || !strings.Contains(err.Error(), "bound to its pod") {
		t.Errorf("a token bound to no pod: %v; want refused", err)
	}
}

// create stores obj as the administrator.
func create(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// placedGuest makes owner's Guest, placed on node with a pod.
func placedGuest(t *testing.T, c client.Client, owner, node string) client.ObjectKey {
	t.Helper()
	g := &v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: v1alpha1.ResourceName(owner, owner)},
		Spec:       v1alpha1.GuestSpec{Owner: owner, Name: owner, Running: true},
	}
	create(t, c, g)
	g.Status = v1alpha1.GuestStatus{Phase: v1alpha1.PhaseScheduled, Node: node, Pod: owner + "-pod"}
	if err := c.Status().Update(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(g)
}

// unboundClient is a client with a token of the agents' service account
// bound to no pod.
func unboundClient(t *testing.T, admin client.Client, cp *kubetest.ControlPlane) client.Client {
	t.Helper()
	cfg, err := cp.ServiceAccountConfig(context.Background(), "vmhost", "vmhost-agent")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: admin.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get reads the Guest at key.
func get(t *testing.T, c client.Client, key client.ObjectKey) *v1alpha1.Guest {
	t.Helper()
	var g v1alpha1.Guest
	if err := c.Get(context.Background(), key, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// writeStatus reads the Guest at key and updates its status as change says.
func writeStatus(c client.Client, key client.ObjectKey, change func(*v1alpha1.GuestStatus)) error {
	var g v1alpha1.Guest
	if err := c.Get(context.Background(), key, &g); err != nil {
		return err
	}
	change(&g.Status)
	return c.Status().Update(context.Background(), &g)
}

// waitRefused calls write until it is refused with want, for up to 20
// seconds: a new policy takes a moment to reach the API server's admission.
func waitRefused(t *testing.T, write func() error, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := write()
		if err != nil && strings.Contains(err.Error(), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %v; want refused with %q", err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
