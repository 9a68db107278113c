package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// Condition types of a Guest.
const (
	// ConditionScheduled is True while the guest's pod is bound to a node.
	ConditionScheduled = "Scheduled"
	// ConditionLost is True when a local guest's node died with its files.
	ConditionLost = "Lost"
)

// waitingMessage is a Pending guest's message before the scheduler said why.
const waitingMessage = "waiting for the scheduler to choose a node"

// setPending makes st Pending, on no node and with no pod, with msg and
// reason.
func setPending(st *v1alpha1.GuestStatus, gen int64, reason, msg string) {
	st.Phase, st.Node, st.Pod, st.Agent, st.Address, st.Message = v1alpha1.PhasePending, "", "", "", "", msg
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionScheduled, Status: metav1.ConditionFalse,
		Reason: reason, Message: msg, ObservedGeneration: gen,
	})
}

// setFromPod writes what the guest's live pod says into st: Pending with
// the scheduler's reason while unbound, Scheduled on its node once bound.
// The phases the node's agent writes (Starting, Running) on that node stay.
func setFromPod(st *v1alpha1.GuestStatus, gen int64, pod *corev1.Pod) {
	node := pod.Spec.NodeName
	if node == "" {
		reason, msg := "Waiting", waitingMessage
		if c := podScheduled(pod); c != nil && c.Status == corev1.ConditionFalse && c.Message != "" {
			reason, msg = c.Reason, c.Message
		}
		setPending(st, gen, reason, msg)
		st.Pod = pod.Name
		return
	}
	st.Pod = pod.Name
	switch st.Phase {
	case v1alpha1.PhaseScheduled, v1alpha1.PhaseStarting, v1alpha1.PhaseRunning:
		if st.Node == node {
			break
		}
		fallthrough
	default:
		st.Phase, st.Node, st.Agent, st.Address = v1alpha1.PhaseScheduled, node, "", ""
		st.Message = fmt.Sprintf("placed on node %s", node)
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionScheduled, Status: metav1.ConditionTrue,
		Reason: "Bound", Message: "placed on node " + node, ObservedGeneration: gen,
	})
}

// podScheduled is pod's PodScheduled condition, or nil.
func podScheduled(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodScheduled {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// setStopped makes st Stopped, on no node.
func setStopped(st *v1alpha1.GuestStatus, gen int64) {
	st.Phase, st.Node, st.Pod, st.Agent, st.Address, st.Message = v1alpha1.PhaseStopped, "", "", "", "", ""
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionScheduled, Status: metav1.ConditionFalse,
		Reason: "Stopped", Message: "the guest is not running", ObservedGeneration: gen,
	})
}

// setLost makes st Lost: its files were on node, which is gone; it has no
// home any more.
func setLost(st *v1alpha1.GuestStatus, gen int64, node string) {
	msg := fmt.Sprintf("its files were on node %s, which is gone; set running to false to acknowledge, then to true to start a new guest with fresh files", node)
	st.Phase, st.Node, st.Pod, st.Agent, st.Address, st.Message = v1alpha1.PhaseLost, "", "", "", "", msg
	st.Home = ""
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionLost, Status: metav1.ConditionTrue,
		Reason: "NodeLost", Message: msg, ObservedGeneration: gen,
	})
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionScheduled, Status: metav1.ConditionFalse,
		Reason: "NodeLost", Message: "node " + node + " is gone", ObservedGeneration: gen,
	})
}

// acknowledgeLost ends a Lost phase its owner acknowledged by setting
// running to false: the guest is Stopped and its Lost condition False.
func acknowledgeLost(st *v1alpha1.GuestStatus, gen int64) {
	setStopped(st, gen)
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ConditionLost, Status: metav1.ConditionFalse,
		Reason: "Acknowledged", Message: "the owner acknowledged the loss by stopping the guest", ObservedGeneration: gen,
	})
}

// isLost says whether st's Lost condition is True.
func isLost(st *v1alpha1.GuestStatus) bool {
	return meta.IsStatusConditionTrue(st.Conditions, ConditionLost)
}
