package kubetest

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// clientQPS and clientBurst let a test's clients go faster than client-go's
// defaults (5 and 10): a test's control plane serves nobody else.
const (
	clientQPS   = 100
	clientBurst = 200
)

// restConfig returns a client configuration for host that trusts caPEM and
// authenticates with the client certificate of pair.
func restConfig(host string, caPEM []byte, pair keyPair) *rest.Config {
	return &rest.Config{
		Host:  host,
		QPS:   clientQPS,
		Burst: clientBurst,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   caPEM,
			CertData: pair.certPEM,
			KeyData:  pair.keyPEM,
		},
	}
}

// writeKubeconfig writes cfg as a kubeconfig file at path, with the
// certificates and key, or the bearer token, inside it.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kubetest"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos["kubetest"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "kubetest"}
	kc.CurrentContext = "kubetest"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return nil
}
