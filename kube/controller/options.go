// Package controller places vmhost Guests on a Kubernetes cluster: for each
// Guest that should run it keeps one placeholder pod, whose requests are the
// guest's CPUs and memory, so that kube-scheduler chooses its node and the
// cluster's accounting counts it; it writes the scheduler's answer to the
// Guest's status, and acts when the node dies: a volume guest gets a new pod
// (and so a new node), a local guest is Lost.
//
// A local guest's files stay on the node it was first placed on (its home,
// status.home): its later pods are pinned there, so a stopped guest starts
// again with its files, and the loss of that node is the guest's loss, also
// while it is stopped (seen at its next start).
//
// A Lost guest stays Lost, without a pod, until its owner acknowledges the
// loss by setting spec.running to false (the Guest becomes Stopped, the Lost
// condition False); setting running true again then starts a new guest,
// with fresh files, wherever it fits. Deleting and recreating the Guest
// does the same.
package controller

import "time"

// Options tune the controller; zero fields take the defaults below.
type Options struct {
	// Namespace holds the Guests, their pods and the leader election lease.
	Namespace string
	// PauseImage is the placeholder pod's only container image
	// (default registry.k8s.io/pause:3.10).
	PauseImage string
	// TolerationSeconds is how long a placeholder pod stays bound to a node
	// that is not ready or unreachable before the node lifecycle controller
	// evicts it (default 30).
	TolerationSeconds int64
	// NodeLostGrace is how long a node's Ready condition must have been
	// False or Unknown before its guests are taken as lost (default 40s).
	NodeLostGrace time.Duration
	// TerminationGracePeriodSeconds of placeholder pods (default 5).
	TerminationGracePeriodSeconds int64
	// PriorityClassName of placeholder pods (default none).
	PriorityClassName string
	// LeaderElection makes one replica of several reconcile at a time,
	// holding a Lease named LeaderElectionID in Namespace.
	LeaderElection bool
	// LeaderElectionID names the Lease (default vmhost-controller).
	LeaderElectionID string
	// MetricsAddr is where the manager serves metrics ("0", the default,
	// serves none).
	MetricsAddr string
	// HealthAddr is where it serves /healthz and /readyz ("" serves none).
	HealthAddr string
}

// Defaults used for unset Options.
const (
	DefaultPauseImage        = "registry.k8s.io/pause:3.10"
	DefaultTolerationSeconds = 30
	DefaultNodeLostGrace     = 40 * time.Second
	DefaultTerminationGrace  = 5
	DefaultLeaderElectionID  = "vmhost-controller"
)

// withDefaults is o with its unset fields set to the defaults.
func (o Options) withDefaults() Options {
	if o.PauseImage == "" {
		o.PauseImage = DefaultPauseImage
	}
	if o.TolerationSeconds == 0 {
		o.TolerationSeconds = DefaultTolerationSeconds
	}
	if o.NodeLostGrace == 0 {
		o.NodeLostGrace = DefaultNodeLostGrace
	}
	if o.TerminationGracePeriodSeconds == 0 {
		o.TerminationGracePeriodSeconds = DefaultTerminationGrace
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = DefaultLeaderElectionID
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = "0"
	}
	return o
}
