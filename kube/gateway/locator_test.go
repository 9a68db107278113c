package gateway

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
)

// lagging is a client whose reads miss a Guest for its first misses reads,
// as a cache does right after the Guest is made.
type lagging struct {
	client.Client
	misses atomic.Int32
}

func (l *lagging) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if l.misses.Add(-1) >= 0 {
		return apierrors.NewNotFound(schema.GroupResource{Group: "vmhost.dev", Resource: "guests"}, key.Name)
	}
	return l.Client.Get(ctx, key, obj, opts...)
}

// newLocator is a KubeLocator over a fake API holding objs, whose reads
// lag by misses.
func newLocator(t *testing.T, misses int32, objs ...client.Object) (*KubeLocator, client.Client) {
	t.Helper()
	s, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.Guest{}).Build()
	lc := &lagging{Client: c}
	lc.misses.Store(misses)
	return &KubeLocator{Client: lc, Namespace: "vmhost", Poll: 10 * time.Millisecond, Wait: 5 * time.Second,
		Unschedulable: 50 * time.Millisecond}, c
}

// running is a Guest of owner's guest name Running on node.
func running(owner, name, node string) *v1alpha1.Guest {
	return &v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: v1alpha1.ResourceName(owner, name)},
		Spec:       v1alpha1.GuestSpec{Owner: owner, Name: name, Running: true},
		Status:     v1alpha1.GuestStatus{Phase: v1alpha1.PhaseRunning, Node: node, Agent: "10.0.0.7:7443"},
	}
}

// TestLocateReadsThroughALaggingCache: a Guest the cache does not show yet
// is waited for, not an error.
func TestLocateReadsThroughALaggingCache(t *testing.T) {
	l, _ := newLocator(t, 3, running("alice", "alice", "node-1"))
	ep, err := l.Locate(context.Background(), "alice", "alice", io.Discard)
	if err != nil || ep != (Endpoint{Addr: "10.0.0.7:7443", ServerName: "node-1"}) {
		t.Fatalf("Locate = %+v, %v; want node-1's agent", ep, err)
	}
}

// TestLocateMakesAndRefuses: a first login makes the Guest with the
// defaults; a Guest the scheduler refuses, and a Lost one, end the login
// with the reason.
func TestLocateMakesAndRefuses(t *testing.T) {
	l, c := newLocator(t, 0)
	l.Defaults = GuestDefaults{CPUs: "500m", Memory: "256Mi", Storage: "local"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := l.Locate(ctx, "bob", "web", io.Discard); err == nil {
		t.Fatal("Locate of a guest nobody places: no error")
	}
	var g v1alpha1.Guest
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "vmhost", Name: "bob.web"}, &g); err != nil {
		t.Fatalf("the first login made no Guest: %v", err)
	}
	if !g.Spec.Running || g.Spec.Limits.Memory.String() != "256Mi" || g.Spec.Limits.CPUs.String() != "500m" {
		t.Errorf("the Guest made: %+v; want running with the defaults", g.Spec)
	}

	pending := running("carol", "carol", "")
	pending.Status = v1alpha1.GuestStatus{Phase: v1alpha1.PhasePending, Message: "0/3 nodes are available: 3 Insufficient memory.",
		Conditions: []metav1.Condition{{Type: controller.ConditionScheduled, Status: metav1.ConditionFalse, Reason: "Unschedulable"}}}
	lost := running("dave", "dave", "node-2")
	lost.Status = v1alpha1.GuestStatus{Phase: v1alpha1.PhaseLost, Message: "its files were on node node-2, which is gone"}
	l, _ = newLocator(t, 0, pending, lost)
	for owner, want := range map[string]string{"carol": "Insufficient memory", "dave": "node-2"} {
		_, err := l.Locate(context.Background(), owner, owner, io.Discard)
		if err == nil || !strings.Contains(userMessage(err), want) {
			t.Errorf("Locate %s: %v; want refused naming %q", owner, err, want)
		}
	}
}

// userMessage is what sshgate shows of err.
func userMessage(err error) string {
	if u, ok := err.(interface{ UserMessage() string }); ok {
		return u.UserMessage()
	}
	return err.Error()
}
