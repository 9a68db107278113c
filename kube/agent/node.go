// Package agent is the node side of vmhost on Kubernetes: it gives the
// node's vmhostd the Guests placed on this node (those whose status.node is
// NODE_NAME), takes back those that left, and reports each guest's state,
// address and this agent's endpoint to the Guest's status.
package agent

import "context"

// Node is the vmhostd of this node, as the agent drives it (through its
// admin API). Its methods are idempotent: assigning an assigned guest
// updates it, unassigning one that is not assigned is no error.
type Node interface {
	// Assign gives the node a guest to run: it is to be started (or kept
	// running) with the assignment's image and limits.
	Assign(ctx context.Context, a Assignment) error
	// Unassign takes a guest away from the node: it is stopped and refused
	// from then on.
	Unassign(ctx context.Context, owner, name string) error
	// List is the guests assigned to the node, with their states.
	List(ctx context.Context) ([]AssignedGuest, error)
}

// Assignment is a guest the node is to run.
type Assignment struct {
	// Owner is the user the guest belongs to; Name is the guest's name
	// (Owner's own name for the default guest).
	Owner, Name string
	// Image is the image of the guest's root file system ("" for the
	// node's default).
	Image string
	// Limits are the guest's resource limits.
	Limits Limits
	// Storage is local or volume; Claim names a volume guest's
	// PersistentVolumeClaim.
	Storage, Claim string
	// PodUID is the UID of the guest's placeholder pod on this node: the
	// kubelet mounts a volume guest's claim under
	// /var/lib/kubelet/pods/PodUID/volumes/.
	PodUID string
	// Volume, for a volume guest, is the directory where the kubelet
	// mounted its claim on this node: the guest's files live there.
	Volume string
}

// Limits are a guest's resource limits; zero means the node's default.
type Limits struct {
	// CPUs is a number of cores, such as 1.5.
	CPUs float64
	// Memory and Disk are in bytes.
	Memory, Disk int64
	// Pids is the maximum number of processes.
	Pids int64
}

// States of an AssignedGuest.
const (
	StateRunning  = "running"
	StateStarting = "starting"
	StateStopped  = "stopped"
)

// AssignedGuest is a guest assigned to the node, as the node says it is.
type AssignedGuest struct {
	Owner, Name string
	// State is StateRunning, StateStarting or StateStopped.
	State string
	// Address is the guest's address on the node, when it runs.
	Address string
}
