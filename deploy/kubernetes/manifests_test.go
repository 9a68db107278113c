// Package kubernetes holds vmhost's manifests for a Kubernetes cluster; its
// test has a real kube-apiserver accept every one of them.
package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"vmhost/kube/kubetest"
)

// manifests are the files a cluster's admin applies, in order.
var manifests = []string{"namespace.yaml", "rbac.yaml", "controller.yaml", "agent.yaml", "gateway.yaml"}

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
		for _, obj := range readObjects(t, m) {
			if err := c.Create(context.Background(), obj); err != nil {
				t.Errorf("%s: %s %s: %v", m, obj.GetKind(), obj.GetName(), err)
			}
			kinds[obj.GetKind()]++
		}
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "Deployment", "DaemonSet", "Service", "ConfigMap"} {
		if kinds[k] == 0 {
			t.Errorf("the manifests have no %s", k)
		}
	}
}

// readObjects decodes the YAML documents of file.
func readObjects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}
