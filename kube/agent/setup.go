package agent

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	crcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
)

// NewManager is a controller-runtime manager for the agent of node: its
// cache holds only the Guests of o.Namespace whose status.node is
// o.NodeName (a selectable field of the CRD), so a Guest that leaves the
// node reads as gone and is unassigned, and only the pods bound to the
// node.
func NewManager(cfg *rest.Config, node Node, o Options) (manager.Manager, error) {
	o = o.withDefaults()
	if o.NodeName == "" || o.Namespace == "" {
		return nil, fmt.Errorf("the agent needs its node name (NODE_NAME) and the Guests' namespace")
	}
	s, err := controller.NewScheme()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: s,
		// Several managers may share a process (a test, or one
		// vmhost-kube running more than one role).
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{o.Namespace: {}},
			ByObject: map[client.Object]cache.ByObject{
				&v1alpha1.Guest{}: {Field: fields.OneTermEqualSelector("status.node", o.NodeName)},
				&corev1.Pod{}:     {Field: fields.OneTermEqualSelector("spec.nodeName", o.NodeName)},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("making the agent's manager: %w", err)
	}
	sy := &Syncer{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Node: node, Options: o}
	if err := sy.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

// SetupWithManager registers s with mgr: it syncs a Guest when it or its
// pod changes, and sweeps the node's guests every Resync.
func (s *Syncer) SetupWithManager(mgr manager.Manager) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("guest-agent").
		For(&v1alpha1.Guest{}).
		Owns(&corev1.Pod{}).
		// Guests start side by side, as logins start them on one host.
		WithOptions(crcontroller.Options{MaxConcurrentReconciles: workers}).
		Complete(s)
	if err != nil {
		return fmt.Errorf("setting up the agent: %w", err)
	}
	resync := s.Options.withDefaults().Resync
	c := mgr.GetCache()
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		// A sweep over a cache not yet filled would unassign every guest.
		if !c.WaitForCacheSync(ctx) {
			return nil
		}
		return s.sweepEvery(ctx, resync)
	}))
}

// Run runs the agent of node until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, node Node, o Options) error {
	mgr, err := NewManager(cfg, node, o)
	if err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the agent: %w", err)
	}
	return nil
}

// workers is how many Guests the agent syncs at once.
const workers = 4

// skipNameValidation lets several managers in one process each have a
// controller of the same name.
var skipNameValidation = true
