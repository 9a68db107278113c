package controller

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// nodeLoss says whether node, where a guest's pod is bound, is lost at now:
// gone from the API (node nil), or its Ready condition False or Unknown (the
// node lifecycle controller's verdict once the kubelet stopped reporting)
// for at least grace. When the node is not ready but grace has not passed
// yet, wait is how long until it will have.
func nodeLoss(node *corev1.Node, now time.Time, grace time.Duration) (lost bool, wait time.Duration) {
	if node == nil {
		return true, 0
	}
	ready := readyCondition(node)
	if ready == nil || ready.Status == corev1.ConditionTrue {
		return false, 0
	}
	down := now.Sub(ready.LastTransitionTime.Time)
	if down >= grace {
		return true, 0
	}
	return false, grace - down
}

// readyCondition is node's Ready condition, or nil.
func readyCondition(node *corev1.Node) *corev1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == corev1.NodeReady {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

// nodeReady says whether node's Ready condition is True.
func nodeReady(node *corev1.Node) bool {
	c := readyCondition(node)
	return c != nil && c.Status == corev1.ConditionTrue
}

// evictedForNode says whether pod was deleted by the node lifecycle
// controller because its node is not ready or unreachable (its taint
// eviction sets the DisruptionTarget condition with this reason).
func evictedForNode(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp == nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == "DeletionByTaintManager" {
			return true
		}
	}
	return false
}

// readinessChanged says whether a Node went from old to new in a way the
// controller acts on: its Ready condition's status or transition time. A
// heartbeat alone (a kubelet's, every few seconds) changes neither, and
// would otherwise reconcile every Guest on the node each time.
func readinessChanged(old, new *corev1.Node) bool {
	o, n := readyCondition(old), readyCondition(new)
	if o == nil || n == nil {
		return (o == nil) != (n == nil)
	}
	return o.Status != n.Status || !o.LastTransitionTime.Equal(&n.LastTransitionTime)
}
