package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
)

// Credentials are what a gateway proves itself and checks agents with.
type Credentials struct {
	// Certificate is the gateway's TLS client certificate, signed by the
	// cluster CA: CommonName vmhost-gateway, ExtKeyUsage ClientAuth.
	Certificate tls.Certificate
	// ClusterCA verifies the agents' TLS certificates (SAN DNS: the node
	// name, ExtKeyUsage ServerAuth).
	ClusterCA *x509.CertPool
	// UserCA signs the SSH user certificates the gateway logs in to agents
	// with; agents trust its public key (cluster.user_ca).
	UserCA ssh.Signer
}

// Files name the PEM and OpenSSH files of Credentials.
type Files struct {
	Cert      string // the gateway's TLS certificate (PEM)
	Key       string // its private key (PEM)
	CA        string // the cluster CA's certificates (PEM)
	UserCAKey string // the user CA's private key (OpenSSH or PEM, unencrypted)
}

// LoadCredentials reads the credentials files f names.
func LoadCredentials(f Files) (Credentials, error) {
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return Credentials{}, fmt.Errorf("loading the gateway's TLS certificate %s: %w", f.Cert, err)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return Credentials{}, fmt.Errorf("reading the cluster CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return Credentials{}, fmt.Errorf("reading the cluster CA %s: no PEM certificate in it", f.CA)
	}
	keyPEM, err := os.ReadFile(f.UserCAKey)
	if err != nil {
		return Credentials{}, fmt.Errorf("reading the user CA key: %w", err)
	}
	userCA, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		return Credentials{}, fmt.Errorf("parsing the user CA key %s: %w", f.UserCAKey, err)
	}
	return Credentials{Certificate: cert, ClusterCA: pool, UserCA: userCA}, nil
}

// check reports what is missing from c.
func (c Credentials) check() error {
	switch {
	case len(c.Certificate.Certificate) == 0:
		return errors.New("no TLS client certificate")
	case c.ClusterCA == nil:
		return errors.New("no cluster CA")
	case c.UserCA == nil:
		return errors.New("no user CA key")
	}
	return nil
}
