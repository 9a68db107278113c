package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// Reconciler keeps each Guest's placeholder pod and status.
type Reconciler struct {
	// Client reads Guests and Nodes (through the manager's cache) and
	// writes pods and status.
	Client client.Client
	// Pods lists a Guest's pods; it reads the API server, not the cache,
	// so that a pod just made or deleted is never made or deleted twice.
	Pods client.Reader
	// Scheme knows the Guest type, for owner references.
	Scheme *runtime.Scheme
	// Options tune the pods and the node loss grace.
	Options Options
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Reconcile brings the Guest named by req and its pod to what its spec asks.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var g v1alpha1.Guest
	if err := r.Client.Get(ctx, req.NamespacedName, &g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if g.DeletionTimestamp != nil {
		return ctrl.Result{}, nil // its pods go by garbage collection
	}
	pods, err := r.ownedPods(ctx, &g)
	if err != nil {
		return ctrl.Result{}, err
	}
	st := g.Status.DeepCopy()
	res, err := r.reconcile(ctx, &g, pods, st)
	if err != nil {
		return ctrl.Result{}, err
	}
	st.ObservedGeneration = g.Generation
	if equality.Semantic.DeepEqual(st, &g.Status) {
		return res, nil
	}
	g.Status = *st
	err = r.Client.Status().Update(ctx, &g)
	if apierrors.IsConflict(err) {
		// The agent wrote first: read the Guest again and retry.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("updating the status of guest %s: %w", g.Name, err)
	}
	return res, nil
}

// reconcile acts on g's pods and writes what follows into st.
func (r *Reconciler) reconcile(ctx context.Context, g *v1alpha1.Guest, pods []corev1.Pod, st *v1alpha1.GuestStatus) (ctrl.Result, error) {
	o := r.Options.withDefaults()
	if msg := g.NameProblem(); msg != "" {
		setPending(st, g.Generation, "BadName", msg)
		return ctrl.Result{}, r.deletePods(ctx, pods, false)
	}
	if isLost(st) {
		if !g.Spec.Running {
			acknowledgeLost(st, g.Generation)
		}
		return ctrl.Result{}, r.deletePods(ctx, pods, true)
	}
	if !g.Spec.Running {
		setStopped(st, g.Generation)
		return ctrl.Result{}, r.deletePods(ctx, pods, false)
	}
	node, wait, err := r.lostNode(ctx, nodesOf(pods, st.Home), o.NodeLostGrace)
	if err != nil || node != "" {
		if err == nil {
			err = r.replace(ctx, g, pods, node, st)
		}
		return ctrl.Result{}, err
	}
	res, err := r.keepPod(ctx, g, pods, st)
	if wait > 0 && (res.RequeueAfter == 0 || wait < res.RequeueAfter) {
		res.RequeueAfter = wait
	}
	return res, err
}

// keepPod makes sure g has one live pod and writes what it says into st.
func (r *Reconciler) keepPod(ctx context.Context, g *v1alpha1.Guest, pods []corev1.Pod, st *v1alpha1.GuestStatus) (ctrl.Result, error) {
	live, terminating := splitPods(pods)
	if len(live) == 0 {
		if len(terminating) > 0 {
			setPending(st, g.Generation, "Waiting", "waiting for the guest's old pod to go")
			return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
		}
		setPending(st, g.Generation, "Waiting", waitingMessage)
		return ctrl.Result{}, r.createPod(ctx, g, st)
	}
	if err := r.deletePods(ctx, live[1:], false); err != nil {
		return ctrl.Result{}, err
	}
	setFromPod(st, g.Generation, &live[0])
	if n := live[0].Spec.NodeName; n != "" && g.Spec.StorageClassOrDefault() == v1alpha1.StorageLocal {
		st.Home = n
	}
	return ctrl.Result{}, nil
}

// replace acts on the loss of node, where g's pod was: a volume guest gets a
// new pod, a local guest is Lost; the old pods are deleted at once, since
// their node's kubelet will never confirm it.
func (r *Reconciler) replace(ctx context.Context, g *v1alpha1.Guest, pods []corev1.Pod, node string, st *v1alpha1.GuestStatus) error {
	if err := r.deletePods(ctx, pods, true); err != nil {
		return err
	}
	if g.Spec.StorageClassOrDefault() != v1alpha1.StorageVolume {
		setLost(st, g.Generation, node)
		return nil
	}
	setPending(st, g.Generation, "NodeLost",
		fmt.Sprintf("node %s is gone; placing the guest on another node with its volume", node))
	return r.createPod(ctx, g, st)
}

// lostNode is the one of nodes (node name: pod bound there, or evicted
// from there) that is lost, or ""; wait is how long until a node that is
// not ready now counts as lost.
func (r *Reconciler) lostNode(ctx context.Context, nodes []podNode, grace time.Duration) (name string, wait time.Duration, err error) {
	for _, pn := range nodes {
		node, err := r.node(ctx, pn.name)
		if err != nil {
			return "", 0, err
		}
		lost, w := nodeLoss(node, r.now(), grace)
		if lost || (pn.evicted && (node == nil || !nodeReady(node))) {
			return pn.name, 0, nil
		}
		if w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
	}
	return "", wait, nil
}

// podNode is a node a guest depends on: where a pod of it is bound (and
// whether the node lifecycle controller evicted that pod), or its home.
type podNode struct {
	name    string
	evicted bool
}

// nodesOf are the nodes pods are bound to, and home unless "".
func nodesOf(pods []corev1.Pod, home string) []podNode {
	var nodes []podNode
	for i := range pods {
		if n := pods[i].Spec.NodeName; n != "" {
			nodes = append(nodes, podNode{name: n, evicted: evictedForNode(&pods[i])})
		}
	}
	if home != "" {
		nodes = append(nodes, podNode{name: home})
	}
	return nodes
}

// node is the Node named name, or nil when there is none.
func (r *Reconciler) node(ctx context.Context, name string) (*corev1.Node, error) {
	var n corev1.Node
	err := r.Client.Get(ctx, types.NamespacedName{Name: name}, &n)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading node %s: %w", name, err)
	}
	return &n, nil
}

// ownedPods are the pods g controls.
func (r *Reconciler) ownedPods(ctx context.Context, g *v1alpha1.Guest) ([]corev1.Pod, error) {
	var list corev1.PodList
	err := r.Pods.List(ctx, &list, client.InNamespace(g.Namespace),
		client.MatchingLabels{LabelGuest: v1alpha1.LabelValue(g.Name)})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of guest %s: %w", g.Name, err)
	}
	var owned []corev1.Pod
	for _, p := range list.Items {
		if metav1.IsControlledBy(&p, g) {
			owned = append(owned, p)
		}
	}
	return owned, nil
}

// createPod makes g's placeholder pod and names it in st.
func (r *Reconciler) createPod(ctx context.Context, g *v1alpha1.Guest, st *v1alpha1.GuestStatus) error {
	pod := placeholderPod(g, r.Options.withDefaults())
	if err := controllerutil.SetControllerReference(g, pod, r.Scheme); err != nil {
		return fmt.Errorf("owning the pod of guest %s: %w", g.Name, err)
	}
	if err := r.Client.Create(ctx, pod); err != nil {
		return fmt.Errorf("creating the pod of guest %s: %w", g.Name, err)
	}
	st.Pod = pod.Name
	return nil
}

// deletePods deletes pods not already being deleted; now deletes them at
// once (grace period 0), also those already being deleted.
func (r *Reconciler) deletePods(ctx context.Context, pods []corev1.Pod, now bool) error {
	for i := range pods {
		p := &pods[i]
		var opts []client.DeleteOption
		switch {
		case now:
			opts = append(opts, client.GracePeriodSeconds(0))
		case p.DeletionTimestamp != nil:
			continue
		}
		opts = append(opts, client.Preconditions{UID: &p.UID})
		if err := r.Client.Delete(ctx, p, opts...); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting pod %s: %w", p.Name, err)
		}
	}
	return nil
}

// splitPods parts pods into live ones, oldest first, and those being
// deleted.
func splitPods(pods []corev1.Pod) (live, terminating []corev1.Pod) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			terminating = append(terminating, p)
			continue
		}
		live = append(live, p)
	}
	sortOldestFirst(live)
	return live, terminating
}

// now is the reconciler's clock.
func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// conflictRetry is how soon a Guest whose status another writer changed
// first is read and reconciled again.
const conflictRetry = 100 * time.Millisecond
