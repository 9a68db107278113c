package agent

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// countingNode is a fakeNode that counts its lists.
type countingNode struct {
	*fakeNode
	lists int
}

func (n *countingNode) List(ctx context.Context) ([]AssignedGuest, error) {
	n.lists++
	return n.fakeNode.List(ctx)
}

// TestSyncListsTheNodeOnce checks that a sync reads the node's list of
// guests once, however it goes: each list reads the state of every guest
// of the node, and a node placing a hundred Guests syncs each several times.
func TestSyncListsTheNodeOnce(t *testing.T) {
	g := placed("web", testNode, v1alpha1.PhaseScheduled)
	tests := []struct {
		name string
		pod  corev1.PodPhase
	}{
		{"pod running: assigned", corev1.PodRunning},
		{"pod pending: waits", corev1.PodPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, g.DeepCopy(), podOf(g, testNode, tt.pod))
			n := &countingNode{fakeNode: f.node}
			f.s.Node = n
			f.sync(g.Name)
			if n.lists != 1 {
				t.Errorf("the sync listed the node's guests %d times, want 1", n.lists)
			}
		})
	}
}
