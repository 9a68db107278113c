package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	crcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// podNodeField indexes pods by the node they are bound to.
const podNodeField = "spec.nodeName"

// NewScheme is a scheme with Kubernetes' built-in types and the Guest.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding the built-in types: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding the vmhost.dev types: %w", err)
	}
	return s, nil
}

// NewManager is a controller-runtime manager for the controller: its cache
// holds the Guests and pods of o.Namespace, and all Nodes; with
// o.LeaderElection only the holder of the Lease o.LeaderElectionID in
// o.Namespace reconciles.
func NewManager(cfg *rest.Config, o Options) (manager.Manager, error) {
	o = o.withDefaults()
	if o.Namespace == "" {
		return nil, fmt.Errorf("the controller needs a namespace for its Guests and its lease")
	}
	s, err := NewScheme()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: s,
		// Several managers may share a process (a test, or one
		// vmhost-kube running more than one role).
		Controller:              config.Controller{SkipNameValidation: &skipNameValidation},
		Cache:                   cache.Options{DefaultNamespaces: map[string]cache.Config{o.Namespace: {}}},
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.Namespace,
		// The lease goes when the leader stops cleanly, so another
		// replica takes over at once.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("making the controller's manager: %w", err)
	}
	r := &Reconciler{Client: mgr.GetClient(), Pods: mgr.GetAPIReader(), Scheme: s, Options: o}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

// Run runs the controller until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	mgr, err := NewManager(cfg, o)
	if err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the controller: %w", err)
	}
	return nil
}

// SetupWithManager registers r with mgr: it reconciles a Guest when the
// Guest, one of its pods, or the node of one of its pods changes.
func (r *Reconciler) SetupWithManager(mgr manager.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, podNodeField,
		func(o client.Object) []string { return []string{o.(*corev1.Pod).Spec.NodeName} })
	if err != nil {
		return fmt.Errorf("indexing pods by node: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		Named("guest").
		For(&v1alpha1.Guest{}).
		Owns(&corev1.Pod{}).
		// A Node matters when it comes, goes, or its readiness changes.
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.guestsOnNode),
			builder.WithPredicates(predicate.Funcs{UpdateFunc: nodeReadinessChanged})).
		// Guests are placed side by side; one Guest is never reconciled
		// twice at once.
		WithOptions(crcontroller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the guest controller: %w", err)
	}
	return nil
}

// guestsOnNode are the Guests whose pods are bound to node.
func (r *Reconciler) guestsOnNode(ctx context.Context, node client.Object) []reconcile.Request {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.MatchingFields{podNodeField: node.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the pods of a node", "node", node.GetName())
		return nil
	}
	var reqs []reconcile.Request
	for _, p := range pods.Items {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.Kind != "Guest" || ref.APIVersion != v1alpha1.GroupVersion.String() {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: p.Namespace, Name: ref.Name}})
	}
	return reqs
}

// nodeReadinessChanged passes the updates of a Node that change its
// readiness (see readinessChanged): the heartbeats of a node with a
// hundred Guests would each reconcile all of them.
func nodeReadinessChanged(e event.UpdateEvent) bool {
	old, okOld := e.ObjectOld.(*corev1.Node)
	new, okNew := e.ObjectNew.(*corev1.Node)
	return !okOld || !okNew || readinessChanged(old, new)
}

// workers is how many Guests the controller reconciles at once.
const workers = 4

// skipNameValidation lets several managers in one process each have a
// controller of the same name.
var skipNameValidation = true
