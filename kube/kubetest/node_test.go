package kubetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// startNodes starts count nodes of cpu and memory labelled testLabel=group.
func startNodes(t *testing.T, cp *ControlPlane, group string, count int, cpu, memory string) []*Node {
	t.Helper()
	var nodes []*Node
	for i := range count {
		nodes = append(nodes, cp.StartNode(t, NodeSpec{
			Name:   fmt.Sprintf("%s-%d", group, i),
			CPU:    cpu,
			Memory: memory,
			Labels: map[string]string{testLabel: group},
			PodIP:  func(*corev1.Pod) string { return fmt.Sprintf("192.0.2.%d", 10+i) },
		}))
	}
	return nodes
}

// waitReady waits until node name's Ready condition is True.
func waitReady(t *testing.T, cs kubernetes.Interface, name string) *corev1.Node {
	t.Helper()
	ctx := testContext(t, time.Minute)
	var node *corev1.Node
	eventually(t, 30*time.Second, "node "+name+" Ready", func() (bool, string) {
		var err error
		node, err = cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ready := nodeCondition(node, corev1.NodeReady)
		return ready != nil && ready.Status == corev1.ConditionTrue, fmt.Sprintf("%+v", ready)
	})
	return node
}

func TestNodesBecomeReady(t *testing.T) {
	cp := Shared(t)
	cs := clientset(t, cp)
	group := randomName(t, "ready-")
	nodes := startNodes(t, cp, group, 2, "2", "4Gi")
	ctx := testContext(t, time.Minute)
	for _, n := range nodes {
		node := waitReady(t, cs, n.Name)
		if node.Labels[AgentLabel] != "true" || node.Labels[testLabel] != group {
			t.Errorf("node %s labels = %v, want %s=true and %s=%s", n.Name, node.Labels, AgentLabel, testLabel, group)
		}
		if got := node.Status.Allocatable.Memory().String(); got != "4Gi" {
			t.Errorf("node %s allocatable memory = %s, want 4Gi", n.Name, got)
		}
		lease, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("getting the lease of %s: %v", n.Name, err)
		}
		if age := time.Since(lease.Spec.RenewTime.Time); age > 5*time.Second {
			t.Errorf("lease of %s renewed %v ago, want within 5s", n.Name, age)
		}
		if err := n.Err(); err != nil {
			t.Errorf("keeper of %s: %v", n.Name, err)
		}
	}
}

func TestPodScheduledAndRunning(t *testing.T) {
	cp := Shared(t)
	cs := clientset(t, cp)
	group := randomName(t, "run-")
	nodes := startNodes(t, cp, group, 2, "2", "4Gi")
	ns := newNamespace(t, cs)
	ctx := testContext(t, time.Minute)
	pod, err := cs.CoreV1().Pods(ns).Create(ctx, pausePod("guest", group, "1", "3Gi"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "pod guest Running and Ready", func() (bool, string) {
		pod, err = cs.CoreV1().Pods(ns).Get(ctx, "guest", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return isRunning(pod), fmt.Sprintf("node %q phase %s conditions %+v", pod.Spec.NodeName, pod.Status.Phase, pod.Status.Conditions)
	})
	if pod.Spec.NodeName != nodes[0].Name && pod.Spec.NodeName != nodes[1].Name {
		t.Errorf("pod bound to %q, want one of this test's nodes", pod.Spec.NodeName)
	}
	if !strings.HasPrefix(pod.Status.PodIP, "192.0.2.") || pod.Status.HostIP != "127.0.0.1" {
		t.Errorf("pod IP %q host IP %q, want 192.0.2.x and 127.0.0.1", pod.Status.PodIP, pod.Status.HostIP)
	}
	if cs := pod.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Running == nil || !cs[0].Ready {
		t.Errorf("container statuses = %+v, want pause running and ready", cs)
	}

	// Deleted gracefully, it goes once its node's keeper finishes it.
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "guest", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "pod guest gone", func() (bool, string) {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, "guest", metav1.GetOptions{})
		return apierrors.IsNotFound(err), errString(err)
	})
}

func TestPodTooBigStaysPending(t *testing.T) {
	cp := Shared(t)
	cs := clientset(t, cp)
	group := randomName(t, "big-")
	startNodes(t, cp, group, 2, "2", "4Gi")
	ns := newNamespace(t, cs)
	tests := []struct {
		name, cpu, memory, want string
	}{
		{"memory", "1", "5Gi", "Insufficient memory"},
		{"cpu", "3", "1Gi", "Insufficient cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			_, err := cs.CoreV1().Pods(ns).Create(ctx, pausePod(tt.name, group, tt.cpu, tt.memory), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var cond *corev1.PodCondition
			eventually(t, 30*time.Second, "pod "+tt.name+" Unschedulable", func() (bool, string) {
				pod, err := cs.CoreV1().Pods(ns).Get(ctx, tt.name, metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				cond = podCondition(pod, corev1.PodScheduled)
				return cond != nil, fmt.Sprintf("%+v", pod.Status)
			})
			if cond.Status != corev1.ConditionFalse || cond.Reason != corev1.PodReasonUnschedulable ||
				!strings.Contains(cond.Message, tt.want) {
				t.Errorf("PodScheduled = %s %s %q, want False Unschedulable naming %q",
					cond.Status, cond.Reason, cond.Message, tt.want)
			}
			pod, err := cs.CoreV1().Pods(ns).Get(ctx, tt.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.NodeName != "" || pod.Status.Phase != corev1.PodPending {
				t.Errorf("pod on %q in phase %s, want Pending on no node", pod.Spec.NodeName, pod.Status.Phase)
			}
		})
	}
}

// TestStoppedNodeGoesUnknown stops the keeper of one of two nodes (the
// node's death) and checks that kube-controller-manager, not the keeper,
// marks it: Ready Unknown no sooner than the grace period less one heartbeat
// and one monitor period, and soon after the grace period, with the
// unreachable taints; its pod is no longer Ready; the other node stays
// Ready. (With every node of the cluster dead, kube-controller-manager
// would add no NoExecute taint: it stops evicting in a full disruption.)
func TestStoppedNodeGoesUnknown(t *testing.T) {
	cp := Shared(t)
	cs := clientset(t, cp)
	opts := cp.Options()
	group := randomName(t, "dead-")
	nodes := startNodes(t, cp, group, 2, "2", "4Gi")
	ns := newNamespace(t, cs)
	ctx := testContext(t, 2*time.Minute)
	for _, n := range nodes {
		waitReady(t, cs, n.Name)
	}
	pod := pausePod("guest", group, "1", "1Gi")
	pod.Spec.NodeName = nodes[0].Name
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "pod guest Running", func() (bool, string) {
		pod, err := cs.CoreV1().Pods(ns).Get(ctx, "guest", metav1.GetOptions{})
		return err == nil && isRunning(pod), errString(err)
	})

	nodes[0].Stop()
	stopped := time.Now()
	renewed := leaseRenewTime(t, cs, nodes[0].Name)
	var node *corev1.Node
	eventually(t, opts.NodeGracePeriod+20*time.Second, "node Ready Unknown", func() (bool, string) {
		var err error
		node, err = cs.CoreV1().Nodes().Get(ctx, nodes[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ready := nodeCondition(node, corev1.NodeReady)
		return ready.Status == corev1.ConditionUnknown, fmt.Sprintf("%+v", ready)
	})
	elapsed := time.Since(stopped)
	earliest := opts.NodeGracePeriod - time.Second - opts.NodeMonitorPeriod
	if elapsed < earliest || elapsed > opts.NodeGracePeriod+10*time.Second {
		t.Errorf("node Unknown %v after its keeper stopped, want between %v and %v",
			elapsed, earliest, opts.NodeGracePeriod+10*time.Second)
	}
	eventually(t, 10*time.Second, "unreachable taints", func() (bool, string) {
		var err error
		node, err = cs.CoreV1().Nodes().Get(ctx, nodes[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) &&
			hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule), fmt.Sprintf("%+v", node.Spec.Taints)
	})
	eventually(t, 10*time.Second, "pod guest not Ready", func() (bool, string) {
		pod, err := cs.CoreV1().Pods(ns).Get(ctx, "guest", metav1.GetOptions{})
		if err != nil {
			return true, err.Error() // evicted and gone is not Ready either
		}
		ready := podCondition(pod, corev1.PodReady)
		return ready != nil && ready.Status != corev1.ConditionTrue, fmt.Sprintf("%+v", ready)
	})
	if last := leaseRenewTime(t, cs, nodes[0].Name); !last.Equal(renewed) {
		t.Errorf("the stopped keeper renewed its lease at %v, after it stopped (%v)", last, renewed)
	}
	alive, err := cs.CoreV1().Nodes().Get(ctx, nodes[1].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ready := nodeCondition(alive, corev1.NodeReady); ready.Status != corev1.ConditionTrue || len(alive.Spec.Taints) > 0 {
		t.Errorf("the living node: Ready %s, taints %+v; want True and none", ready.Status, alive.Spec.Taints)
	}
}

// TestNodeComesBack starts a keeper again for a node that died: the node is
// Ready again and kube-controller-manager lifts its unreachable taints.
func TestNodeComesBack(t *testing.T) {
	cp := Shared(t)
	cs := clientset(t, cp)
	group := randomName(t, "back-")
	nodes := startNodes(t, cp, group, 2, "2", "4Gi")
	ctx := testContext(t, 2*time.Minute)
	waitReady(t, cs, nodes[0].Name)
	nodes[0].Stop()
	eventually(t, cp.Options().NodeGracePeriod+20*time.Second, "node unreachable", func() (bool, string) {
		node, err := cs.CoreV1().Nodes().Get(ctx, nodes[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute), fmt.Sprintf("%+v", node.Spec.Taints)
	})

	cp.StartNode(t, NodeSpec{Name: nodes[0].Name, CPU: "2", Memory: "4Gi", Labels: map[string]string{testLabel: group}})
	waitReady(t, cs, nodes[0].Name)
	eventually(t, 20*time.Second, "taints lifted", func() (bool, string) {
		node, err := cs.CoreV1().Nodes().Get(ctx, nodes[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return len(node.Spec.Taints) == 0, fmt.Sprintf("%+v", node.Spec.Taints)
	})
}

// leaseRenewTime returns the renew time of node name's Lease.
func leaseRenewTime(t *testing.T, cs kubernetes.Interface, name string) time.Time {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	lease, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting the lease of %s: %v", name, err)
	}
	return lease.Spec.RenewTime.Time
}
