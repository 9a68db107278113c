package agentcert

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"vmhost/cluster/clustertest"
	"vmhost/kube/kubetest"
)

// TestAgentCertificates: with the manifests' RBAC, the agent of node-a,
// through a token bound to its pod there, gets a certificate for node-a
// only, which the cluster CA verifies for serving; a request for another
// node's name, or from another account, is denied and gets nothing.
func TestAgentCertificates(t *testing.T) {
	cp := kubetest.ForTest(t, kubetest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin, err := client.New(cp.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vmhost"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}},
	} {
		if err := admin.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := kubetest.Apply(ctx, admin, filepath.Join("..", "..", "deploy", "kubernetes", "rbac.yaml")); err != nil {
		t.Fatal(err)
	}
	ca := clustertest.NewCA(t, "cluster")
	signingCA, err := LoadCA(ca.File, ca.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	startSigner(ctx, t, cp, signingCA)

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: "agent-a"},
		Spec: corev1.PodSpec{NodeName: "node-a", ServiceAccountName: "vmhost-agent",
			Containers: []corev1.Container{{Name: "agent", Image: "vmhost:latest"}}},
	}
	if err := admin.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	cfg, err := cp.PodConfig(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	dir := t.TempDir()
	cert, err := Obtain(wait, agent, "node-a", dir, time.Hour)
	if err != nil {
		t.Fatalf("the agent of node-a asking for its certificate: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "node-a", Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("node-a's certificate does not verify for node-a: %v", err)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life > time.Hour+2*time.Minute {
		t.Errorf("the certificate lives %v; the agent asked for an hour", life)
	}
	if got, err := Current(dir, "node-a"); err != nil || !got.Equal(cert) {
		t.Errorf("Current(node-a) = %v; want the certificate written", err)
	}
	if _, got, err := Ensure(wait, agent, "node-a", dir, time.Hour, time.Now()); got || err != nil {
		t.Errorf("Ensure with a fresh certificate: obtained %v, %v; want it kept", got, err)
	}

	if _, err := Obtain(wait, agent, "node-b", t.TempDir(), time.Hour); err == nil || !strings.Contains(err.Error(), "must name node node-a") {
		t.Errorf("the agent of node-a asking for node-b's certificate: %v; want denied", err)
	}
	if _, err := Obtain(wait, admin, "node-a", t.TempDir(), time.Hour); err == nil || !strings.Contains(err.Error(), "not the agents' service account") {
		t.Errorf("the administrator asking for node-a's certificate: %v; want denied", err)
	}
}

// startSigner runs the signer in a manager of its own until ctx ends.
func startSigner(ctx context.Context, t *testing.T, cp *kubetest.ControlPlane, ca *CA) {
	t.Helper()
	mgr, err := ctrl.NewManager(cp.Config, ctrl.Options{Scheme: scheme.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &Signer{Client: mgr.GetClient(), CA: ca, AgentUser: AgentUser("vmhost", "vmhost-agent")}
	if err := s.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); mgr.Start(ctx) }()
	t.Cleanup(func() { <-done })
}

func TestRenewAt(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{NotBefore: start, NotAfter: start.Add(30 * time.Hour)}
	if got, want := RenewAt(cert), start.Add(20*time.Hour); !got.Equal(want) {
		t.Errorf("RenewAt = %v, want %v (two thirds of its life)", got, want)
	}
}
