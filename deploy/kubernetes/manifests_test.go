// Package kubernetes holds vmhost's manifests for a Kubernetes cluster; its
// test has a real kube-apiserver accept every one of them.
package kubernetes

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"vmhost/kube/kubetest"
)

// manifests are the files a cluster's admin applies, in order.
var manifests = []string{"namespace.yaml", "rbac.yaml", "policy.yaml", "controller.yaml", "agent.yaml", "gateway.yaml"}

// TestManifestsApply creates every object of the manifests in a real
// control plane: the API server validates each against its schema.
func TestManifestsApply(t *testing.T) {
	cp := kubetest.ForTest(t, kubetest.Options{})
	if _, err := envtest.InstallCRDs(cp.Config, envtest.CRDInstallOptions{Paths: []string{"crds"}, ErrorIfPathMissing: true}); err != nil {
		t.Fatalf("installing the CRDs: %v", err)
	}
	c, err := client.New(cp.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, m := range manifests {
		objs, err := kubetest.ReadManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range objs {
			if err := c.Create(context.Background(), obj); err != nil {
				t.Errorf("%s: %s %s: %v", m, obj.GetKind(), obj.GetName(), err)
			}
			kinds[obj.GetKind()]++
		}
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "Deployment", "DaemonSet", "Service", "ConfigMap",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
		if kinds[k] == 0 {
			t.Errorf("the manifests have no %s", k)
		}
	}
	t.Run("an agent writes only its own node's Guests", func(t *testing.T) { testAgentPolicy(t, cp) })
}
