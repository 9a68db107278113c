package controller

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestReadinessChanged(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	heartbeat := func(n *corev1.Node, at time.Time) *corev1.Node {
		n = n.DeepCopy()
		n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(at)
		return n
	}
	none := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	ready := readyNode("n1", corev1.ConditionTrue, t0)
	for _, c := range []struct {
		name     string
		old, new *corev1.Node
		want     bool
	}{
		{"a heartbeat", heartbeat(ready, t0.Add(time.Second)), heartbeat(ready, t0.Add(2*time.Second)), false},
		{"no condition either time", none, none, false},
		{"ready to unknown", ready, readyNode("n1", corev1.ConditionUnknown, t0.Add(time.Minute)), true},
		{"unknown to ready", readyNode("n1", corev1.ConditionUnknown, t0), readyNode("n1", corev1.ConditionTrue, t0.Add(time.Minute)), true},
		{"same status, new transition", ready, readyNode("n1", corev1.ConditionTrue, t0.Add(time.Minute)), true},
		{"condition appears", none, ready, true},
		{"condition goes", ready, none, true},
	} {
		if got := readinessChanged(c.old, c.new); got != c.want {
			t.Errorf("%s: readinessChanged = %v, want %v", c.name, got, c.want)
		}
	}
}
