package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"vmhost/kube/controller"
)

// kubeAssets is the directory of kube-apiserver and etcd for envtest:
// KUBEBUILDER_ASSETS, or what make kube-bins left under
// /var/cache/vmhost-kube/*/bin; "" when there is none.
func kubeAssets() string {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/var/cache/vmhost-kube/*/bin")
	for _, d := range dirs {
		if isFile(filepath.Join(d, "kube-apiserver")) && isFile(filepath.Join(d, "etcd")) {
			return d
		}
	}
	return ""
}

// isFile says whether path is a regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// startAPIServer starts etcd and kube-apiserver with the Guest CRD
// installed, and a namespace for the test; it skips the test when the
// binaries are missing.
func startAPIServer(t *testing.T) (*rest.Config, client.Client, string) {
	t.Helper()
	dir := kubeAssets()
	if dir == "" {
		t.Skip("no kube-apiserver and etcd in /var/cache/vmhost-kube/*/bin (or KUBEBUILDER_ASSETS): run make kube-bins")
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "deploy", "kubernetes", "crds")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver from %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the API server: %v", err)
		}
	})
	s, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vmhost"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return cfg, c, ns.Name
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
