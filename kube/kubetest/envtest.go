package kubetest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// APIServer starts etcd and kube-apiserver alone, from BinDir, with
// controller-runtime's envtest, installs the CRDs of crdDir and makes the
// namespace ns; the test's cleanup stops them. It returns the API
// server's admin config and a client of scheme, and skips like
// RequireBinaries.
func APIServer(tb testing.TB, scheme *runtime.Scheme, crdDir, ns string) (*rest.Config, client.Client) {
	tb.Helper()
	RequireBinaries(tb)
	env := &envtest.Environment{
		BinaryAssetsDirectory: BinDir(),
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		tb.Fatalf("starting kube-apiserver from %s: %v", BinDir(), err)
	}
	tb.Cleanup(func() {
		if err := env.Stop(); err != nil {
			tb.Errorf("stopping the API server: %v", err)
		}
	})
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		tb.Fatal(err)
	}
	return cfg, c
}
