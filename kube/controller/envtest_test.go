package controller

import (
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"vmhost/kube/kubetest"
)

// startAPIServer starts etcd and kube-apiserver with the Guest CRD
// installed, and a namespace for the test; it skips the test when the
// binaries are missing.
func startAPIServer(t *testing.T) (*rest.Config, client.Client, string) {
	t.Helper()
	s, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	cfg, c := kubetest.APIServer(t, s, filepath.Join("..", "..", "deploy", "kubernetes", "crds"), "vmhost")
	return cfg, c, "vmhost"
}

// eventually calls cond every 100ms until it returns true, failing the test
// with what after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
