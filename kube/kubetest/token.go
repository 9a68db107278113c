package kubetest

import (
	"context"
	"fmt"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// tokenSeconds is how long a pod's service account token is valid: longer
// than any test.
const tokenSeconds = 3600

// ServiceAccountConfig returns a client configuration with a token of
// the service account name of namespace ns, bound to nothing.
func (cp *ControlPlane) ServiceAccountConfig(ctx context.Context, ns, name string) (*rest.Config, error) {
	return cp.tokenConfig(ctx, ns, name, nil)
}

// PodConfig returns a client configuration with the token of pod's
// service account bound to pod, as the kubelet projects it into the pod's
// containers: the API server names the pod's node in the requests made
// with it (authentication.kubernetes.io/node-name).
func (cp *ControlPlane) PodConfig(ctx context.Context, pod *corev1.Pod) (*rest.Config, error) {
	ref := &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
	return cp.tokenConfig(ctx, pod.Namespace, pod.Spec.ServiceAccountName, ref)
}

// tokenConfig returns a client configuration with a token of service
// account ns/name bound to ref (nil: to nothing).
func (cp *ControlPlane) tokenConfig(ctx context.Context, ns, name string, ref *authv1.BoundObjectReference) (*rest.Config, error) {
	cs, err := cp.Clientset()
	if err != nil {
		return nil, err
	}
	secs := int64(tokenSeconds)
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs, BoundObjectRef: ref}}
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token of service account %s/%s: %w", ns, name, err)
	}
	cfg := rest.AnonymousClientConfig(cp.Config)
	cfg.BearerToken = tok.Status.Token
	cfg.QPS, cfg.Burst = clientQPS, clientBurst
	return cfg, nil
}

// WriteKubeconfig writes cfg as a kubeconfig file at path, for a process
// of the test's own.
func WriteKubeconfig(path string, cfg *rest.Config) error { return writeKubeconfig(path, cfg) }
