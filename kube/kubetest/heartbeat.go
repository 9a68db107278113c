package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// leaseSeconds is the duration a node's Lease claims, as a kubelet's does.
const leaseSeconds = 40

// register creates the Node, or keeps the one a former keeper of the same
// name left (a node that comes back).
func (n *Node) register(ctx context.Context) error {
	labels := map[string]string{AgentLabel: "true", corev1.LabelHostname: n.Name}
	for k, v := range n.spec.Labels {
		labels[k] = v
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels}}
	_, err := n.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("registering node %s: %w", n.Name, err)
	}
	return nil
}

// keepBeating renews the node's Lease and status every Heartbeat until ctx
// ends.
func (n *Node) keepBeating(ctx context.Context) {
	defer n.wg.Done()
	tick := time.NewTicker(n.spec.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			n.noteError(ctx, n.beat(ctx))
		}
	}
}

// beat is one heartbeat: the Lease renewed and the node's status posted.
func (n *Node) beat(ctx context.Context) error {
	if err := n.renewLease(ctx); err != nil {
		return err
	}
	return n.postStatus(ctx)
}

// renewLease sets the renew time of the node's Lease to now, creating the
// Lease (owned by the Node) if it is missing.
func (n *Node) renewLease(ctx context.Context) error {
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, n.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease, err = n.newLease(ctx)
		if err != nil {
			return err
		}
		lease.Spec.RenewTime = &now
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return wrap(err, "creating the lease of node %s", n.Name)
	}
	if err != nil {
		return fmt.Errorf("getting the lease of node %s: %w", n.Name, err)
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return wrap(err, "renewing the lease of node %s", n.Name)
}

// newLease returns the Lease of the node as a kubelet makes it.
func (n *Node) newLease(ctx context.Context) (*coordinationv1.Lease, error) {
	node, err := n.client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("getting node %s: %w", n.Name, err)
	}
	holder, seconds := n.Name, int32(leaseSeconds)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:      n.Name,
			Namespace: corev1.NamespaceNodeLease,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID,
			}},
		},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &seconds},
	}, nil
}

// postStatus patches the node's status: its capacity, addresses, and
// conditions saying it is Ready and under no pressure, heartbeat now.
func (n *Node) postStatus(ctx context.Context) error {
	patch, err := json.Marshal(map[string]any{"status": n.status(metav1.Now())})
	if err != nil {
		return fmt.Errorf("encoding the status of node %s: %w", n.Name, err)
	}
	_, err = n.client.CoreV1().Nodes().Patch(ctx, n.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{}, "status")
	return wrap(err, "posting the status of node %s", n.Name)
}

// status returns the node's status as a healthy kubelet reports it at now.
func (n *Node) status(now metav1.Time) corev1.NodeStatus {
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastHeartbeatTime: now, LastTransitionTime: n.started}
	}
	return corev1.NodeStatus{
		Capacity:    n.capacity,
		Allocatable: n.capacity,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubetest keeps this node"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", ""),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", ""),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", ""),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: n.spec.Address},
			{Type: corev1.NodeHostName, Address: n.Name},
		},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: Version, OperatingSystem: "linux", Architecture: runtime.GOARCH,
			ContainerRuntimeVersion: "kubetest://" + Version,
		},
	}
}

// wrap returns nil for nil, or err in the context format and args say.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
