package agent

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// TestClusterAgentFollowsPlacement runs the agent of n1 against a real API
// server: its cache sees only Guests whose status.node is n1 (a selectable
// field), so it assigns those and unassigns a Guest moved to n2.
func TestClusterAgentFollowsPlacement(t *testing.T) {
	cfg, c, ns := startAPIServer(t)
	node := newFakeNode()
	mgr, err := NewManager(cfg, node, Options{NodeName: testNode, Namespace: ns, Endpoint: testEnd, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})

	here, there := placed("web", testNode, v1alpha1.PhaseScheduled), placed("db", "n2", v1alpha1.PhaseScheduled)
	for _, g := range []*v1alpha1.Guest{here, there} {
		g.Namespace, g.UID = ns, ""
		st := g.Status
		if err := c.Create(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		g.Status = st
		if err := c.Status().Update(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		createRunningPod(t, c, g)
	}
	read := func(name string) v1alpha1.GuestStatus {
		var g v1alpha1.Guest
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &g); err != nil {
			t.Fatal(err)
		}
		return g.Status
	}
	eventually(t, 10*time.Second, "alice+web not Starting with this agent", func() bool {
		st := read(here.Name)
		return node.has("alice", "web") && st.Phase == v1alpha1.PhaseStarting && st.Agent == testEnd
	})
	node.start("alice", "web", "10.0.0.5")
	eventually(t, 10*time.Second, "alice+web not Running at its address", func() bool {
		st := read(here.Name)
		return st.Phase == v1alpha1.PhaseRunning && st.Address == "10.0.0.5"
	})
	if node.has("alice", "db") {
		t.Errorf("alice+db, placed on n2, was assigned to %s", testNode)
	}

	var g v1alpha1.Guest
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: here.Name}, &g); err != nil {
		t.Fatal(err)
	}
	g.Status.Node, g.Status.Phase = "n2", v1alpha1.PhaseScheduled
	if err := c.Status().Update(context.Background(), &g); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice+web, moved to n2, still assigned", func() bool {
		return !node.has("alice", "web")
	})
}

// createRunningPod stores g's placeholder pod, bound to g's node and
// Running, as the controller, the scheduler and the kubelet would leave it.
func createRunningPod(t *testing.T, c client.Client, g *v1alpha1.Guest) {
	t.Helper()
	pod := podOf(g, g.Status.Node, corev1.PodRunning)
	pod.UID = ""
	if err := c.Create(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	if err := c.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
}
