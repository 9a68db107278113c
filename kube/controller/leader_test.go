package controller

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// startReplica starts a controller with leader election; stop stops it
// and waits for it.
func startReplica(t *testing.T, cfg *rest.Config, ns string) (mgr manager.Manager, stop func()) {
	t.Helper()
	mgr, err := NewManager(cfg, Options{Namespace: ns, LeaderElection: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	}
	t.Cleanup(stop)
	return mgr, stop
}

// elected says whether mgr became the leader within d.
func elected(mgr manager.Manager, d time.Duration) bool {
	select {
	case <-mgr.Elected():
		return true
	case <-time.After(d):
		return false
	}
}

func TestClusterLeaderElection(t *testing.T) {
	cfg, c, ns := startAPIServer(t)
	a, stopA := startReplica(t, cfg, ns)
	if !elected(a, 20*time.Second) {
		t.Fatal("the only replica was not elected")
	}
	var lease coordinationv1.Lease
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: DefaultLeaderElectionID}, &lease); err != nil {
		t.Fatalf("reading the lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("lease %s has no holder", lease.Name)
	}
	b, _ := startReplica(t, cfg, ns)
	if elected(b, 3*time.Second) {
		t.Fatal("a second replica was elected while the first held the lease")
	}
	stopA()
	if !elected(b, 20*time.Second) {
		t.Fatal("the second replica was not elected after the first stopped")
	}
	k := &cluster{t: t, c: c, ns: ns}
	g := apiGuest(ns, "web", v1alpha1.StorageLocal)
	k.create(g)
	k.onePod(g.Name)
}
