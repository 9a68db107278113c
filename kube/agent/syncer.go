package agent

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// Options tune the agent's sync; zero durations take the defaults.
type Options struct {
	// NodeName is this node's name (NODE_NAME, from the downward API).
	NodeName string
	// Namespace holds the Guests.
	Namespace string
	// Endpoint is this agent's host:port, where gateways reach the node's
	// vmhostd; it goes to status.agent.
	Endpoint string
	// Poll is how often a starting guest's state is read again (default 2s).
	Poll time.Duration
	// Resync is how often a running guest's state is read again, and the
	// node's guests compared with the Guests placed here (default 30s).
	Resync time.Duration
	// KubeletDir is the kubelet's root directory, where it mounts the
	// volumes of volume guests' pods (default DefaultKubeletDir).
	KubeletDir string
}

// Default durations of Options.
const (
	DefaultPoll   = 2 * time.Second
	DefaultResync = 30 * time.Second
)

// withDefaults is o with unset durations set.
func (o Options) withDefaults() Options {
	if o.Poll == 0 {
		o.Poll = DefaultPoll
	}
	if o.Resync == 0 {
		o.Resync = DefaultResync
	}
	if o.KubeletDir == "" {
		o.KubeletDir = DefaultKubeletDir
	}
	return o
}

// Syncer keeps the node's guests equal to the Guests placed on it.
type Syncer struct {
	// Client reads Guests (a cache of those on this node) and writes their
	// status.
	Client client.Client
	// Reader reads what the cache does not hold: volume guests' claims
	// and volumes (nil: Client).
	Reader client.Reader
	// Node is this node's vmhostd.
	Node Node
	// Options say which node this is and how often to look.
	Options Options
}

// Reconcile assigns the Guest named by req to the node when it is to run
// here, unassigns it otherwise, and reports its state.
func (s *Syncer) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	o := s.Options.withDefaults()
	var g v1alpha1.Guest
	err := s.Client.Get(ctx, req.NamespacedName, &g)
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, s.unassignName(ctx, req.Name)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading guest %s: %w", req.Name, err)
	}
	if !wanted(&g, o.NodeName) {
		return ctrl.Result{}, s.release(ctx, &g)
	}
	pod, err := s.pod(ctx, &g)
	if err != nil {
		return ctrl.Result{}, err
	}
	if pod != nil {
		a, err := s.assignment(ctx, &g, pod)
		if err != nil {
			return ctrl.Result{}, err
		}
		if err := s.Node.Assign(ctx, a); err != nil {
			return ctrl.Result{}, fmt.Errorf("assigning guest %s to the node: %w", g.Spec.Login(), err)
		}
	}
	// The node's list is read once, after Assign: Assign starts the guest,
	// and each list reads the state of every guest of the node.
	got, err := s.find(ctx, g.Spec.Owner, g.Spec.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if pod == nil && got == nil {
		// Not yet: the pod may not have reached this agent's cache.
		return ctrl.Result{RequeueAfter: o.Poll}, nil
	}
	st := g.Status.DeepCopy()
	st.Phase, st.Agent, st.Address, st.Message = v1alpha1.PhaseStarting, o.Endpoint, "", "starting on node "+o.NodeName
	if got != nil {
		st.Phase, st.Address = phaseOf(got.State), got.Address
	}
	if st.Phase == v1alpha1.PhaseRunning {
		st.Message = "running on node " + o.NodeName
	}
	if err := s.writeStatus(ctx, &g, st); apierrors.IsConflict(err) {
		// The controller wrote first (it may have moved the guest):
		// read the Guest again.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	if st.Phase == v1alpha1.PhaseRunning {
		return ctrl.Result{RequeueAfter: o.Resync}, nil
	}
	return ctrl.Result{RequeueAfter: o.Poll}, nil
}

// assignment is what the node is to run for g, whose pod runs here: with
// the directory of its volume for a volume guest.
func (s *Syncer) assignment(ctx context.Context, g *v1alpha1.Guest, pod *corev1.Pod) (Assignment, error) {
	a := assignmentOf(g, pod)
	if g.Spec.StorageClassOrDefault() != v1alpha1.StorageVolume {
		return a, nil
	}
	r := s.Reader
	if r == nil {
		r = s.Client
	}
	dir, err := volumeDir(ctx, r, s.Options.withDefaults().KubeletDir, g, pod)
	if err != nil {
		return a, fmt.Errorf("finding the volume of guest %s: %w", g.Spec.Login(), err)
	}
	a.Volume = dir
	return a, nil
}

// pod is g's placeholder pod when it runs on this node, else nil.
func (s *Syncer) pod(ctx context.Context, g *v1alpha1.Guest) (*corev1.Pod, error) {
	if g.Status.Pod == "" {
		return nil, nil
	}
	var pod corev1.Pod
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: g.Namespace, Name: g.Status.Pod}, &pod)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading pod %s: %w", g.Status.Pod, err)
	}
	if !podRunsHere(&pod, g, s.Options.NodeName) {
		return nil, nil
	}
	return &pod, nil
}

// release unassigns g from the node; a Guest still placed here that should
// not run is reported Stopped, on no node.
func (s *Syncer) release(ctx context.Context, g *v1alpha1.Guest) error {
	if err := s.unassign(ctx, g.Spec.Owner, g.Spec.Name); err != nil {
		return err
	}
	if g.Status.Node != s.Options.NodeName || g.Spec.Running {
		return nil
	}
	st := g.Status.DeepCopy()
	st.Phase, st.Node, st.Agent, st.Address, st.Message = v1alpha1.PhaseStopped, "", "", "", ""
	return s.writeStatus(ctx, g, st)
}

// writeStatus stores st as g's status when it differs.
func (s *Syncer) writeStatus(ctx context.Context, g *v1alpha1.Guest, st *v1alpha1.GuestStatus) error {
	if equality.Semantic.DeepEqual(st, &g.Status) {
		return nil
	}
	g.Status = *st
	if err := s.Client.Status().Update(ctx, g); err != nil {
		return fmt.Errorf("updating the status of guest %s: %w", g.Name, err)
	}
	return nil
}

// unassignName unassigns the guest whose Guest, named name, is gone.
func (s *Syncer) unassignName(ctx context.Context, name string) error {
	owner, guest, err := v1alpha1.ParseResourceName(name)
	if err != nil {
		return nil // no Guest of ours was ever named so
	}
	return s.unassign(ctx, owner, guest)
}

// unassign unassigns owner's guest name when the node has it.
func (s *Syncer) unassign(ctx context.Context, owner, name string) error {
	got, err := s.find(ctx, owner, name)
	if err != nil || got == nil {
		return err
	}
	if err := s.Node.Unassign(ctx, owner, name); err != nil {
		return fmt.Errorf("unassigning guest %s+%s from the node: %w", owner, name, err)
	}
	return nil
}

// find is the node's entry for owner's guest name, or nil.
func (s *Syncer) find(ctx context.Context, owner, name string) (*AssignedGuest, error) {
	list, err := s.Node.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the node's guests: %w", err)
	}
	for i := range list {
		if list[i].Owner == owner && list[i].Name == name {
			return &list[i], nil
		}
	}
	return nil, nil
}

// conflictRetry is how soon a Guest whose status another writer changed
// first is read and synced again.
const conflictRetry = 100 * time.Millisecond
