package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// testLabel marks the nodes of one test, which its pods select, so that
// tests sharing a control plane do not place pods on each other's nodes.
const testLabel = "kubetest.vmhost.dev/test"

// clientset returns the administrator's clientset of cp.
func clientset(t *testing.T, cp *ControlPlane) *kubernetes.Clientset {
	t.Helper()
	cs, err := cp.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// randomName returns prefix and 8 random hex digits.
func randomName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// testContext returns a context that ends with the test, or after timeout.
func testContext(t *testing.T, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually calls check every 200ms until it reports done, failing the
// test with check's last word after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v; last: %s", what, timeout, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newNamespace makes a namespace for the test, deleted at its end, and
// waits for its default service account, without which no pod is admitted.
func newNamespace(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ctx := testContext(t, time.Minute)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: randomName(t, "kt-")}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		err := cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
		if err != nil {
			t.Errorf("deleting namespace %s: %v", ns.Name, err)
		}
	})
	eventually(t, time.Minute, "the default service account of "+ns.Name, func() (bool, string) {
		_, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, errString(err)
	})
	return ns.Name
}

// pausePod returns a pod of one pause container requesting cpu and memory,
// placed only on nodes labelled testLabel=group.
func pausePod(name, group, cpu, memory string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{AgentLabel: "true", testLabel: group},
			Containers: []corev1.Container{{
				Name:  "pause",
				Image: "registry.k8s.io/pause:3.10",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse(cpu),
					corev1.ResourceMemory: resource.MustParse(memory),
				}},
			}},
		},
	}
}

// nodeCondition returns the condition of type ct of node, or nil.
func nodeCondition(node *corev1.Node, ct corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == ct {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

// podCondition returns the condition of type ct of pod, or nil.
func podCondition(pod *corev1.Pod, ct corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == ct {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// hasTaint reports whether node carries a taint of key and effect.
func hasTaint(node *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, taint := range node.Spec.Taints {
		if taint.Key == key && taint.Effect == effect {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
