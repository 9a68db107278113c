package kubetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// AgentLabel is the label every fake node carries, as a node that runs a
// vmhost agent does; placeholder pods select it.
const AgentLabel = "vmhost.dev/agent"

// NodeSpec describes a fake node.
type NodeSpec struct {
	// Name is the Node's name (required).
	Name string
	// CPU, Memory and Pods are its capacity, all allocatable (defaults
	// "4", "8Gi", 110).
	CPU, Memory string
	Pods        int
	// Labels are added to AgentLabel=true and kubernetes.io/hostname=Name.
	Labels map[string]string
	// Address is its InternalIP, and the hostIP of its pods (default
	// 127.0.0.1).
	Address string
	// PodIP, if set, gives each pod it marks Running its IP.
	PodIP func(*corev1.Pod) string
	// Heartbeat is how often it renews its Lease and Ready condition
	// (default 1s).
	Heartbeat time.Duration
}

// withDefaults returns s with every zero field set to its default.
func (s NodeSpec) withDefaults() NodeSpec {
	if s.CPU == "" {
		s.CPU = "4"
	}
	if s.Memory == "" {
		s.Memory = "8Gi"
	}
	if s.Pods == 0 {
		s.Pods = 110
	}
	if s.Address == "" {
		s.Address = "127.0.0.1"
	}
	if s.Heartbeat == 0 {
		s.Heartbeat = time.Second
	}
	return s
}

// Node is a node keeper: it stands in for the kubelet of one node. It
// registers the Node, keeps its Lease in kube-node-lease renewed and its
// Ready condition True with fresh heartbeat times, and marks the pods bound
// to it Running (and removes those deleted), until Stop.
type Node struct {
	// Name is the Node's name.
	Name string

	spec      NodeSpec
	client    kubernetes.Interface
	capacity  corev1.ResourceList
	started   metav1.Time // the Ready condition's transition time
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	stopOnce  sync.Once
	errMu     sync.Mutex
	lastError error
}

// StartNode registers a node with the identity cfg gives (a kubelet's, from
// ControlPlane.NodeConfig) and keeps it until Stop.
func StartNode(ctx context.Context, cfg *rest.Config, spec NodeSpec) (*Node, error) {
	spec = spec.withDefaults()
	if spec.Name == "" {
		return nil, errors.New("starting a node keeper: the node needs a name")
	}
	capacity, err := parseCapacity(spec)
	if err != nil {
		return nil, err
	}
	// A kubelet's request rate (its kubeAPIQPS and kubeAPIBurst), not
	// client-go's 5 a second.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("making the client of node %s: %w", spec.Name, err)
	}
	n := &Node{Name: spec.Name, spec: spec, client: client, capacity: capacity, started: metav1.Now()}
	if err := n.register(ctx); err != nil {
		return nil, err
	}
	if err := n.beat(ctx); err != nil {
		return nil, err
	}
	keepCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(2)
	go n.keepBeating(keepCtx)
	go n.keepPods(keepCtx)
	return n, nil
}

// StartNode starts a node keeper with the node's own identity; the test's
// cleanup stops it and deletes the Node.
func (cp *ControlPlane) StartNode(tb testing.TB, spec NodeSpec) *Node {
	tb.Helper()
	cfg, err := cp.NodeConfig(spec.Name)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := StartNode(ctx, cfg, spec)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		n.Stop()
		cp.deleteNode(tb, n.Name)
	})
	return n
}

// Stop stops the keeper and waits until it no longer writes: to the
// cluster, the node has died. The Node stays; kube-controller-manager
// marks it NotReady (Ready Unknown) and taints it unreachable after the
// control plane's NodeGracePeriod, and evicts its pods after their
// toleration, unless every node of the cluster is dead: then it sees a full
// disruption and evicts nothing (no NoExecute taint).
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.cancel()
		n.wg.Wait()
	})
}

// Err returns the last error the keeper met while it kept the node, or
// nil: it goes on after errors, as a kubelet does.
func (n *Node) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.lastError
}

// noteError keeps err as the last error, unless the keeper is stopping.
func (n *Node) noteError(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	n.errMu.Lock()
	n.lastError = err
	n.errMu.Unlock()
}

// deleteNode deletes node name and its Lease as the administrator.
func (cp *ControlPlane) deleteNode(tb testing.TB, name string) {
	cs, err := cp.Clientset()
	if err != nil {
		tb.Error(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		tb.Errorf("deleting node %s: %v", name, err)
	}
	err = cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		tb.Errorf("deleting the lease of node %s: %v", name, err)
	}
}

// parseCapacity returns the node's capacity from spec.
func parseCapacity(spec NodeSpec) (corev1.ResourceList, error) {
	cpu, err := resource.ParseQuantity(spec.CPU)
	if err != nil {
		return nil, fmt.Errorf("parsing the cpu of node %s (%q): %w", spec.Name, spec.CPU, err)
	}
	memory, err := resource.ParseQuantity(spec.Memory)
	if err != nil {
		return nil, fmt.Errorf("parsing the memory of node %s (%q): %w", spec.Name, spec.Memory, err)
	}
	return corev1.ResourceList{
		corev1.ResourceCPU:    cpu,
		corev1.ResourceMemory: memory,
		corev1.ResourcePods:   *resource.NewQuantity(int64(spec.Pods), resource.DecimalSI),
	}, nil
}
