package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"vmhost/cluster/clustertest"
)

// The cluster agent role (issue 24): vmhostd on a node serves its guests to
// the cluster's gateways over mutually authenticated TLS on cluster.listen,
// admitting SSH user certificates of the gateways' user CA for guests
// assigned to the node, and nothing else.

// clusterNode is a daemon in the agent role and what a gateway holds to
// reach it.
type clusterNode struct {
	*daemon
	listen  string // cluster.listen
	ca      *clustertest.CA
	gateway tls.Certificate // a gateway's client certificate
	userCA  *clustertest.UserCA
}

// newClusterNode starts a daemon with a cluster block: a node named
// node-1, gateways named vmhost-gateway.
func newClusterNode(t *testing.T) *clusterNode {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	n := &clusterNode{daemon: d, listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		ca: clustertest.NewCA(t, "cluster"), userCA: clustertest.NewUserCA(t)}
	agent := n.ca.Server(t, "node-1", "127.0.0.1")
	n.gateway = n.ca.Client(t, "vmhost-gateway").TLS
	d.writeConfig(t, d.cfg.yaml()+fmt.Sprintf("cluster:\n  listen: %q\n  ca: %q\n  cert: %q\n  key: %q\n  user_ca: %q\n",
		n.listen, n.ca.File, agent.CertFile, agent.KeyFile, n.userCA.File))
	d.start(t)
	return n
}

// gatewayTLS is the TLS configuration of a gateway presenting cert (none
// when nil).
func (n *clusterNode) gatewayTLS(cert *tls.Certificate) *tls.Config {
	c := &tls.Config{RootCAs: n.ca.Pool(), ServerName: "node-1", MinVersion: tls.VersionTLS13}
	if cert != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return c
}

// dial connects as a gateway does: TLS with tlsConfig, then SSH as login
// with signer inside it.
func (n *clusterNode) dial(t *testing.T, tlsConfig *tls.Config, login string, signer ssh.Signer) (*ssh.Client, error) {
	t.Helper()
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: sshTimeout}, "tcp", n.listen, tlsConfig)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	tc.SetDeadline(time.Now().Add(sshTimeout))
	sc, chans, reqs, err := ssh.NewClientConn(tc, n.listen, &ssh.ClientConfig{
		User: login, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // the TLS certificate authenticated the node
	})
	if err != nil {
		tc.Close()
		return nil, fmt.Errorf("ssh: %w", err)
	}
	tc.SetDeadline(time.Time{})
	c := ssh.NewClient(sc, chans, reqs)
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// run runs cmd in a session of c and returns its output, stderr and
// error.
func run(t *testing.T, c *ssh.Client, cmd string) (string, string, error) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("opening a session: %v", err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdout, s.Stderr = &out, &errOut
	err = s.Run(cmd)
	return out.String(), errOut.String(), err
}

func TestClusterAgent(t *testing.T) {
	t.Parallel()
	n := newClusterNode(t)
	if r := n.admin(t, "", "cluster", "assign", "alice", "alice", "--image", "busybox", "--cpus", "1", "--memory", "256MiB", "--pids", "300"); r.code != 0 {
		t.Fatalf("vmhostd cluster assign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c, err := n.dial(t, n.gatewayTLS(&n.gateway), "alice", n.userCA.Login(t, "alice", nil))
	if err != nil {
		t.Fatalf("a gateway with alice's certificate: %v\n%s", err, n.log())
	}
	if out, stderr, err := run(t, c, "echo hi"); out != "hi\n" || err != nil {
		t.Fatalf("echo hi over the cluster listener = %q, %q, %v", out, stderr, err)
	}
	clusterPTY(t, c)
	clusterSFTP(t, c)
	if got := readInt(t, cgroupFile(t, n.initOf(t, "alice").InitPID, "pids", "pids.max")); got != 300 {
		t.Errorf("the guest's pids.max = %d; want the assignment's 300", got)
	}
	list := n.clusterList(t)
	if len(list) != 1 || list[0].ID != "alice" || list[0].State != "running" || list[0].Address == "" || list[0].Limits.CPUs != 1 {
		t.Errorf("vmhostd cluster ls = %+v; want alice running, with an address and 1 CPU", list)
	}
	if g := n.adminGuests(t)["alice"]; g.Sessions != 1 {
		t.Errorf("alice's guest with a gateway's connection open: %d connections; want 1 (it is in use, not idle)", g.Sessions)
	}
	if log := n.log(); !strings.Contains(log, "vmhost-gateway user=alice key=SHA256:test from=192.0.2.7:50000") {
		t.Errorf("no audit line carries the certificate's key ID:\n%s", log)
	}
}

// clusterPTY opens a terminal session over c and reads its tty's name.
func clusterPTY(t *testing.T, c *ssh.Client) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		t.Fatalf("pty-req over the cluster listener: %v", err)
	}
	out, err := s.Output("tty")
	if !strings.HasPrefix(string(out), "/dev/pts/") {
		t.Errorf("tty in a pty session = %q, %v; want /dev/pts/N", out, err)
	}
}

// clusterSFTP writes and reads back a file with sftp over c.
func clusterSFTP(t *testing.T, c *ssh.Client) {
	t.Helper()
	fc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp over the cluster listener: %v", err)
	}
	defer fc.Close()
	f, err := fc.Create("/root/from-gateway")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("through the gateway\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := fc.Open("/root/from-gateway")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); string(b) != "through the gateway\n" {
		t.Errorf("sftp read back %q, %v", b, err)
	}
	if out, _, _ := run(t, c, "cat /root/from-gateway"); out != "through the gateway\n" {
		t.Errorf("the file sftp wrote, read in the guest: %q", out)
	}
}

// clusterList returns `vmhostd cluster ls --json`.
func (n *clusterNode) clusterList(t *testing.T) []struct {
	ID, State, Address string
	Limits             struct{ CPUs float64 }
} {
	t.Helper()
	r := n.admin(t, "", "cluster", "ls", "--json")
	var list []struct {
		ID, State, Address string
		Limits             struct{ CPUs float64 }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil {
		t.Fatalf("vmhostd cluster ls --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return list
}

func TestClusterAgentRefuses(t *testing.T) {
	t.Parallel()
	n := newClusterNode(t)
	if r := n.admin(t, "", "cluster", "assign", "alice", "alice", "--image", "busybox"); r.code != 0 {
		t.Fatalf("vmhostd cluster assign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := clustertest.NewCA(t, "other")
	otherUserCA := clustertest.NewUserCA(t)
	wrongCN := n.ca.Client(t, "alice").TLS
	serverCert := n.ca.Client(t, "vmhost-gateway", x509.ExtKeyUsageServerAuth).TLS
	otherCA := other.Client(t, "vmhost-gateway").TLS
	alice := n.userCA.Login(t, "alice", nil)
	const refusedTLS, refusedSSH = "tls: ", "unable to authenticate"
	for _, tt := range []struct {
		name   string
		tls    *tls.Config
		signer ssh.Signer
		want   string
	}{
		{"no client certificate", n.gatewayTLS(nil), alice, refusedTLS},
		{"a client certificate of another name", n.gatewayTLS(&wrongCN), alice, refusedTLS},
		{"a client certificate not for client authentication", n.gatewayTLS(&serverCert), alice, refusedTLS},
		{"a client certificate of another CA", n.gatewayTLS(&otherCA), alice, refusedTLS},
		{"a user certificate of another CA", n.gatewayTLS(&n.gateway), otherUserCA.Login(t, "alice", nil), refusedSSH},
		{"a plain key", n.gatewayTLS(&n.gateway), clustertest.NewSigner(t), refusedSSH},
		{"a user certificate for bob", n.gatewayTLS(&n.gateway), n.userCA.Login(t, "bob", nil), refusedSSH},
		{"an expired user certificate", n.gatewayTLS(&n.gateway), n.userCA.Login(t, "alice", func(c *ssh.Certificate) {
			c.ValidBefore = uint64(time.Now().Add(-time.Minute).Unix())
		}), refusedSSH},
	} {
		c, err := n.dial(t, tt.tls, "alice", tt.signer)
		if err == nil {
			out, _, _ := run(t, c, "echo in")
			t.Errorf("%s: logged in as alice (echo: %q)", tt.name, out)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want it refused with %q", tt.name, err, tt.want)
		}
	}
	if log := n.log(); !strings.Contains(log, "cluster listener: TLS handshake refused") {
		t.Errorf("no refused handshake in the log:\n%s", log)
	}
	// The gateways' user CA is trusted on the cluster listener only.
	_, err := ssh.Dial("tcp", n.cfg.listen, &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(alice)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout})
	if err == nil {
		t.Error("alice's gateway certificate logged in on ssh.listen")
	}
	clusterNotAssigned(t, n)
}

// clusterNotAssigned checks that a login for a guest not assigned to the
// node is told so, and reaches nothing.
func clusterNotAssigned(t *testing.T, n *clusterNode) {
	t.Helper()
	for _, tt := range []struct{ login, owner, want string }{
		{"bob", "bob", "bob's guest is not on this node"},
		{"alice+web", "alice", "alice's guest web is not on this node"},
	} {
		c, err := n.dial(t, n.gatewayTLS(&n.gateway), tt.login, n.userCA.Login(t, tt.owner, nil))
		if err != nil {
			t.Fatalf("%s with a certificate for %s: %v", tt.login, tt.owner, err)
		}
		out, stderr, err := run(t, c, "echo in")
		var exit *ssh.ExitError
		if out != "" || !errors.As(err, &exit) || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s, not assigned: %q, %q, %v; want refused with %q", tt.login, out, stderr, err, tt.want)
		}
		if _, err := sftp.NewClient(c); err == nil {
			t.Errorf("%s, not assigned: sftp started", tt.login)
		}
	}
	if r := n.admin(t, "", "cluster", "unassign", "alice", "alice"); r.code != 0 || !strings.Contains(r.stdout, "files kept") {
		t.Fatalf("vmhostd cluster unassign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c, err := n.dial(t, n.gatewayTLS(&n.gateway), "alice", n.userCA.Login(t, "alice", nil))
	if err != nil {
		t.Fatal(err)
	}
	if out, stderr, _ := run(t, c, "echo in"); out != "" || !strings.Contains(stderr, "alice's guest is not on this node") {
		t.Errorf("alice after unassign: %q, %q; want refused", out, stderr)
	}
}

// TestClusterAgentReload: a SIGHUP reads the cluster's TLS files again: a
// CA file rotated to another CA admits that CA's gateways, and no longer
// the old one's.
func TestClusterAgentReload(t *testing.T) {
	t.Parallel()
	n := newClusterNode(t)
	if r := n.admin(t, "", "cluster", "assign", "alice", "alice", "--image", "busybox"); r.code != 0 {
		t.Fatalf("vmhostd cluster assign: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	next := clustertest.NewCA(t, "next")
	nextGateway := next.Client(t, "vmhost-gateway").TLS
	alice := n.userCA.Login(t, "alice", nil)
	if _, err := n.dial(t, n.gatewayTLS(&nextGateway), "alice", alice); err == nil {
		t.Fatal("a gateway of the next CA got in before the rotation")
	}
	caPEM, err := os.ReadFile(next.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(n.ca.File, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "the rotated CA taken at SIGHUP", func() bool {
		_, err := n.dial(t, n.gatewayTLS(&nextGateway), "alice", alice)
		return err == nil
	})
	if _, err := n.dial(t, n.gatewayTLS(&n.gateway), "alice", alice); err == nil {
		t.Error("a gateway of the old CA got in after the rotation")
	}
}
