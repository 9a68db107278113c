package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// maxPEMSize bounds the CA file read.
const maxPEMSize = 1 << 20

// ServerTLS is the TLS side of the cluster listener: TLS 1.3 only, this
// agent's certificate, and a client certificate required, verified against
// the cluster CA, with ExtKeyUsage ClientAuth and the gateway's CommonName.
// Reload replaces the files' contents for the handshakes that follow.
type ServerTLS struct {
	cur atomic.Pointer[tls.Config]
}

// NewServerTLS reads the files of c.
func NewServerTLS(c config.Cluster) (*ServerTLS, error) {
	s := &ServerTLS{}
	if err := s.Reload(c); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload reads the files of c again; on an error the ones in use are kept.
func (s *ServerTLS) Reload(c config.Cluster) error {
	cfg, err := serverConfig(c)
	if err != nil {
		return err
	}
	s.cur.Store(cfg)
	return nil
}

// Config returns the configuration of a listener: each handshake takes
// the files read last.
func (s *ServerTLS) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.cur.Load(), nil
		},
	}
}

// serverConfig builds the TLS configuration of c's files.
func serverConfig(c config.Cluster) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
	if err != nil {
		return nil, fmt.Errorf("loading the agent's certificate (cluster.cert %s, cluster.key %s): %w", c.Cert, c.Key, err)
	}
	pool, err := loadCA(c.CA)
	if err != nil {
		return nil, err
	}
	gateway := c.GatewayName
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return checkGateway(cs, gateway)
		},
	}, nil
}

// loadCA reads the cluster CA's PEM certificates from path.
func loadCA(path string) (*x509.CertPool, error) {
	data, err := readBounded(path, maxPEMSize)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster CA (cluster.ca): %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("cluster.ca %s holds no PEM certificate", path)
	}
	return pool, nil
}

// readBounded reads at most limit bytes of path, refusing a larger file.
func readBounded(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return os.ReadFile(path)
}

// checkGateway wants the verified client certificate to be a gateway's:
// ExtKeyUsage ClientAuth and CommonName gateway.
func checkGateway(cs tls.ConnectionState, gateway string) error {
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return errors.New("no verified client certificate")
	}
	leaf := cs.PeerCertificates[0]
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return fmt.Errorf("client certificate %q is not for client authentication (no ExtKeyUsage ClientAuth)", leaf.Subject.CommonName)
	}
	if leaf.Subject.CommonName != gateway {
		return fmt.Errorf("client certificate names %q, not the gateway %q (cluster.gateway_name)", leaf.Subject.CommonName, gateway)
	}
	return nil
}

// CheckUserCA reports whether path holds at least one SSH public key, as
// cluster.user_ca must; lines are read at each login, this only catches a
// wrong file at start.
func CheckUserCA(path string) error {
	data, err := readBounded(path, maxPEMSize)
	if err != nil {
		return fmt.Errorf("reading the gateways' user CA (cluster.user_ca): %w", err)
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey(data); err != nil {
		return fmt.Errorf("cluster.user_ca %s holds no SSH public key (%v); write the CA's .pub line", path, err)
	}
	return nil
}
