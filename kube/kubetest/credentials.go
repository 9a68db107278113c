package kubetest

import (
	"crypto/x509"
	"net"
)

// apiserverNames are the names kube-apiserver's serving certificate holds:
// those a client on this machine or in a pod may use for it.
var apiserverNames = []string{
	"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
}

// clients are the client identities a control plane makes a kubeconfig
// for: file name, user and groups.
var clients = []struct {
	file, user string
	groups     []string
}{
	{"admin.kubeconfig", "kubetest-admin", []string{"system:masters"}},
	{"scheduler.kubeconfig", "system:kube-scheduler", nil},
	{"controller-manager.kubeconfig", "system:kube-controller-manager", nil},
}

// writeCredentials makes the control plane's CA, kube-apiserver's serving
// certificate, the service account key and a kubeconfig for each of
// clients, and sets cp.Config and cp.Kubeconfig to the administrator's.
func (cp *ControlPlane) writeCredentials() error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	cp.ca = ca
	serving, err := ca.issue(certSpec{
		commonName: "kube-apiserver",
		dnsNames:   apiserverNames,
		ips:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		usage:      x509.ExtKeyUsageServerAuth,
	})
	if err != nil {
		return err
	}
	saKey, saPub, err := newServiceAccountKey()
	if err != nil {
		return err
	}
	err = writeFiles(cp.Dir, map[string][]byte{
		"ca.crt":        ca.certPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"sa.key":        saKey,
		"sa.pub":        saPub,
	})
	if err != nil {
		return err
	}
	return cp.writeKubeconfigs()
}

// writeKubeconfigs writes a kubeconfig for each of clients.
func (cp *ControlPlane) writeKubeconfigs() error {
	host := cp.Config.Host
	for i, c := range clients {
		pair, err := cp.ca.issue(certSpec{commonName: c.user, orgs: c.groups, usage: x509.ExtKeyUsageClientAuth})
		if err != nil {
			return err
		}
		cfg := restConfig(host, cp.ca.certPEM, pair)
		path := cp.layout().path(c.file)
		if err := writeKubeconfig(path, cfg); err != nil {
			return err
		}
		if i == 0 {
			cp.Config, cp.Kubeconfig = cfg, path
		}
	}
	return nil
}
