package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
)

// GuestDefaults are what a Guest the gateway makes at a user's first login
// gets.
type GuestDefaults struct {
	// Image is the guest's image ("" for the nodes' default).
	Image string
	// CPUs and Memory are its limits, and its placeholder pod's requests
	// ("" for none).
	CPUs, Memory string
	// Storage is local or volume; Claim names the volume's claim, with
	// %s for the owner (a volume guest needs a claim per owner).
	Storage, Claim string
}

// KubeLocator finds guests through their Guest resources: it makes the
// Guest of a user's first login, sets spec.running of a stopped one, and
// waits until its node's agent reports it Running.
type KubeLocator struct {
	// Client reads and writes Guests in Namespace.
	Client    client.Client
	Namespace string
	// Defaults are the spec of a Guest made at a first login.
	Defaults GuestDefaults
	// Wait bounds the wait for a guest to run (DefaultLocateWait when
	// zero); Poll is how often it is read meanwhile (500ms when zero).
	Wait, Poll time.Duration
	// Unschedulable is how long a guest may stay Pending with the
	// scheduler's refusal before the login gives up and shows it
	// (DefaultUnschedulable when zero).
	Unschedulable time.Duration
}

// Defaults of KubeLocator.
const (
	DefaultLocateWait    = 2 * time.Minute
	DefaultUnschedulable = 5 * time.Second
)

// ErrLost is the refusal of a guest whose files went with its node.
var ErrLost = errors.New("guest lost")

// placeError is a guest that cannot run now; its message is the user's.
type placeError struct{ msg string }

func (e *placeError) Error() string       { return e.msg }
func (e *placeError) UserMessage() string { return e.msg }

// Locate implements Locator.
func (l *KubeLocator) Locate(ctx context.Context, owner, name string, progress io.Writer) (Endpoint, error) {
	if err := v1alpha1.ValidateNames(owner, name); err != nil {
		return Endpoint{}, &placeError{err.Error()}
	}
	key := types.NamespacedName{Namespace: l.Namespace, Name: v1alpha1.ResourceName(owner, name)}
	if err := l.ensureRunning(ctx, key, owner, name, progress); err != nil {
		return Endpoint{}, err
	}
	return l.waitRunning(ctx, key, progress)
}

// ensureRunning makes the Guest, or sets its spec.running.
func (l *KubeLocator) ensureRunning(ctx context.Context, key types.NamespacedName, owner, name string, progress io.Writer) error {
	var g v1alpha1.Guest
	err := l.Client.Get(ctx, key, &g)
	if apierrors.IsNotFound(err) {
		fmt.Fprintf(progress, "vmhost: making your guest %s\r\n", name)
		g = l.newGuest(key, owner, name)
		if err := l.Client.Create(ctx, &g); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("making the Guest %s: %w", key.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the Guest %s: %w", key.Name, err)
	}
	if g.Spec.Owner != owner || g.Spec.Name != name {
		return fmt.Errorf("the Guest %s is for %s's guest %s, not %s's %s", key.Name, g.Spec.Owner, g.Spec.Name, owner, name)
	}
	if g.Status.Phase == v1alpha1.PhaseLost {
		return &placeError{lostMessage(&g)}
	}
	if g.Spec.Running {
		return nil
	}
	fmt.Fprintf(progress, "vmhost: starting your guest %s\r\n", name)
	patch := client.MergeFrom(g.DeepCopy())
	g.Spec.Running = true
	if err := l.Client.Patch(ctx, &g, patch); err != nil {
		return fmt.Errorf("starting the Guest %s: %w", key.Name, err)
	}
	return nil
}

// newGuest is the Guest of a first login.
func (l *KubeLocator) newGuest(key types.NamespacedName, owner, name string) v1alpha1.Guest {
	d := l.Defaults
	g := v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Spec: v1alpha1.GuestSpec{Owner: owner, Name: name, Image: d.Image, Running: true,
			Storage: v1alpha1.GuestStorage{Class: v1alpha1.StorageClass(d.Storage)}},
	}
	if d.Storage == string(v1alpha1.StorageVolume) {
		g.Spec.Storage.Claim = fmt.Sprintf(d.Claim, owner)
	}
	if d.CPUs != "" {
		q := resource.MustParse(d.CPUs)
		g.Spec.Limits.CPUs = &q
	}
	if d.Memory != "" {
		q := resource.MustParse(d.Memory)
		g.Spec.Limits.Memory = &q
	}
	return g
}

// waitRunning waits until the Guest runs on a node whose agent is known,
// telling the user of each change of phase; a guest the scheduler keeps
// refusing, or a lost one, ends the wait with the reason.
func (l *KubeLocator) waitRunning(ctx context.Context, key types.NamespacedName, progress io.Writer) (Endpoint, error) {
	wait, poll, unsched := l.Wait, l.Poll, l.Unschedulable
	if wait <= 0 {
		wait = DefaultLocateWait
	}
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	if unsched <= 0 {
		unsched = DefaultUnschedulable
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var said string
	var pendingSince time.Time
	for {
		var g v1alpha1.Guest
		err := l.Client.Get(ctx, key, &g)
		switch {
		case ctx.Err() != nil:
		case apierrors.IsNotFound(err):
			// Just made, and not yet in a cached client's copy: the
			// same wait as for a Guest not yet placed.
		case err != nil:
			return Endpoint{}, fmt.Errorf("reading the Guest %s: %w", key.Name, err)
		}
		if ctx.Err() != nil {
			break
		}
		st := g.Status
		if st.Phase == v1alpha1.PhaseRunning && st.Agent != "" && st.Node != "" {
			return Endpoint{Addr: st.Agent, ServerName: st.Node}, nil
		}
		if st.Phase == v1alpha1.PhaseLost {
			return Endpoint{}, &placeError{lostMessage(&g)}
		}
		if line := phaseLine(st); line != "" && line != said {
			fmt.Fprintf(progress, "vmhost: %s\r\n", line)
			said = line
		}
		if unschedulable(&g) {
			if pendingSince.IsZero() {
				pendingSince = time.Now()
			} else if time.Since(pendingSince) >= unsched {
				return Endpoint{}, &placeError{"your guest cannot be placed on any node now: " + st.Message}
			}
		} else {
			pendingSince = time.Time{}
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
			continue
		}
		break
	}
	return Endpoint{}, &placeError{fmt.Sprintf("your guest did not start within %s; try again later", wait)}
}

// phaseLine is what the user is told of a guest in st.
func phaseLine(st v1alpha1.GuestStatus) string {
	switch st.Phase {
	case "", v1alpha1.PhasePending:
		if st.Message != "" {
			return "waiting for a node: " + st.Message
		}
		return "waiting for a node"
	case v1alpha1.PhaseScheduled, v1alpha1.PhaseStarting:
		return "starting your guest on node " + st.Node
	}
	return ""
}

// unschedulable says the scheduler refused g's pod: Pending with the
// Scheduled condition False for the reason Unschedulable.
func unschedulable(g *v1alpha1.Guest) bool {
	if g.Status.Phase != v1alpha1.PhasePending {
		return false
	}
	for _, c := range g.Status.Conditions {
		if c.Type == controller.ConditionScheduled && c.Status == metav1.ConditionFalse && c.Reason == "Unschedulable" {
			return true
		}
	}
	return false
}

// lostMessage tells the owner of a Lost guest what happened and what to do.
func lostMessage(g *v1alpha1.Guest) string {
	msg := g.Status.Message
	if msg == "" {
		msg = "its files were on a node that is gone"
	}
	return fmt.Sprintf("%s: %s (ask your administrator to set spec.running to false and back to true on Guest %s for a new guest with fresh files)",
		ErrLost, msg, g.Name)
}

// Check says what is wrong with d, or nil.
func (d GuestDefaults) Check() error {
	for _, q := range []struct{ name, v string }{{"cpus", d.CPUs}, {"memory", d.Memory}} {
		if q.v == "" {
			continue
		}
		if _, err := resource.ParseQuantity(q.v); err != nil {
			return fmt.Errorf("%s %q: %w", q.name, q.v, err)
		}
	}
	switch v1alpha1.StorageClass(d.Storage) {
	case "", v1alpha1.StorageLocal:
	case v1alpha1.StorageVolume:
		if strings.Count(d.Claim, "%s") != 1 {
			return fmt.Errorf("claim %q: name the owner's claim with one %%s", d.Claim)
		}
	default:
		return fmt.Errorf("storage %q: local or volume", d.Storage)
	}
	return nil
}
