package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testAgent is a node's agent as a gateway sees it: a TLS listener that
// requires a client certificate of the cluster CA, with an SSH server
// inside that admits user certificates of the user CA and answers exec
// with the login and command.
type testAgent struct {
	addr string

	mu     sync.Mutex
	peers  []string // CommonNames of the client certificates seen
	logins []login
}

// login is one SSH login an agent admitted.
type login struct {
	user string
	cert *ssh.Certificate
}

// startAgent serves as the agent of node, with a certificate of ca, for
// gateways with certificates of ca and SSH certificates of userCA; silent
// agents complete TLS and say nothing more.
func startAgent(t *testing.T, ca *testCA, node string, userCA ssh.PublicKey, silent bool) *testAgent {
	t.Helper()
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{ca.issue(t, node, []string{node}, x509.ExtKeyUsageServerAuth)},
		ClientCAs:    ca.pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	a := &testAgent{addr: ln.Addr().String()}
	sshCfg := a.sshConfig(t, userCA)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go a.serve(nc.(*tls.Conn), sshCfg, silent)
		}
	}()
	return a
}

// sshConfig admits certificates of userCA for their principal.
func (a *testAgent) sshConfig(t *testing.T, userCA ssh.PublicKey) *ssh.ServerConfig {
	hostKey, err := newEd25519Signer()
	if err != nil {
		t.Fatal(err)
	}
	checker := &ssh.CertChecker{
		IsUserAuthority: func(k ssh.PublicKey) bool {
			return bytes.Equal(k.Marshal(), userCA.Marshal())
		},
		SupportedCriticalOptions: []string{"force-command", "source-address"},
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		cert, ok := key.(*ssh.Certificate)
		if !ok {
			return nil, fmt.Errorf("a plain key, not a certificate")
		}
		if err := checker.CheckCert(cert.ValidPrincipals[0], cert); err != nil {
			return nil, err
		}
		if !checker.IsUserAuthority(cert.SignatureKey) {
			return nil, fmt.Errorf("certificate signed by an unknown authority")
		}
		a.mu.Lock()
		a.logins = append(a.logins, login{user: meta.User(), cert: cert})
		a.mu.Unlock()
		return &ssh.Permissions{}, nil
	}}
	cfg.AddHostKey(hostKey)
	return cfg
}

// serve runs one gateway's connection.
func (a *testAgent) serve(nc *tls.Conn, cfg *ssh.ServerConfig, silent bool) {
	defer nc.Close()
	if err := nc.Handshake(); err != nil {
		return
	}
	a.mu.Lock()
	a.peers = append(a.peers, nc.ConnectionState().PeerCertificates[0].Subject.CommonName)
	a.mu.Unlock()
	if silent {
		io.Copy(io.Discard, nc) // until the gateway gives up
		return
	}
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		go serveExec(sc.User(), nch)
	}
}

// serveExec answers an exec with "USER: COMMAND" and exit status 0.
func serveExec(user string, nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	for req := range reqs {
		var m struct{ Command string }
		if req.Type != "exec" || ssh.Unmarshal(req.Payload, &m) != nil {
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		fmt.Fprintf(ch, "%s: %s", user, m.Command)
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
		return
	}
}

// seen returns the peers and logins so far.
func (a *testAgent) seen() ([]string, []login) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.peers...), append([]login(nil), a.logins...)
}

// fixedLocator locates every guest at ep, or fails with err.
type fixedLocator struct {
	ep  Endpoint
	err error
}

func (l fixedLocator) Locate(_ context.Context, owner, guest string, progress io.Writer) (Endpoint, error) {
	fmt.Fprintf(progress, "starting %s's guest %s\n", owner, guest)
	return l.ep, l.err
}
