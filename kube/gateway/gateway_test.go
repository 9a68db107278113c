package gateway

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"vmhost/authkeys"
	"vmhost/sshgate"
)

// fixture is a cluster CA, a user CA and an agent of node-1.
type fixture struct {
	ca     *testCA
	userCA ssh.Signer
	agent  *testAgent
}

// newFixture starts an agent of node-1 (silent: saying nothing after TLS).
func newFixture(t *testing.T, silent bool) *fixture {
	t.Helper()
	userCA, err := newEd25519Signer()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ca: newTestCA(t, "cluster CA"), userCA: userCA}
	f.agent = startAgent(t, f.ca, "node-1", userCA.PublicKey(), silent)
	return f
}

// credentials are a gateway's credentials of the fixture's CAs.
func (f *fixture) credentials(t *testing.T) Credentials {
	return Credentials{
		Certificate: f.ca.issue(t, "vmhost-gateway", nil, x509.ExtKeyUsageClientAuth),
		ClusterCA:   f.ca.pool(),
		UserCA:      f.userCA,
	}
}

// relay returns a relay to the agent, as node-1, with opts tweaked.
func (f *fixture) relay(t *testing.T, tweak ...func(*Options)) *Relay {
	t.Helper()
	opts := Options{Locator: fixedLocator{ep: Endpoint{Addr: f.agent.addr, ServerName: "node-1"}}, Credentials: f.credentials(t)}
	for _, fn := range tweak {
		fn(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// aliceWeb is the login alice+web with grant g.
func aliceWeb(g authkeys.Restrictions) sshgate.RelayTarget {
	return sshgate.RelayTarget{Login: "alice+web", Owner: "alice", Guest: "web", Grant: sshgate.Grant{Restrictions: g},
		Source: netip.MustParseAddr("192.0.2.7"), KeyFingerprint: "SHA256:abcdef"}
}

func TestDialUserCertificate(t *testing.T) {
	f := newFixture(t, false)
	now := time.Now().Truncate(time.Second)
	r := f.relay(t, func(o *Options) { o.Now = func() time.Time { return now } })
	all := map[string]string{"permit-pty": "", "permit-port-forwarding": "", "permit-agent-forwarding": "",
		"permit-X11-forwarding": "", "permit-user-rc": ""}
	without := func(names ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, n := range names {
			delete(m, n)
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		grant authkeys.Restrictions
		want  ssh.Permissions
	}{
		{"unrestricted", authkeys.Restrictions{}, ssh.Permissions{CriticalOptions: map[string]string{}, Extensions: all}},
		{"no-pty", authkeys.Restrictions{NoPTY: true},
			ssh.Permissions{CriticalOptions: map[string]string{}, Extensions: without("permit-pty")}},
		{"restrict", authkeys.Restrictions{NoPTY: true, NoPortForwarding: true, NoAgentForwarding: true},
			ssh.Permissions{CriticalOptions: map[string]string{},
				Extensions: without("permit-pty", "permit-port-forwarding", "permit-agent-forwarding")}},
		{"forced command", authkeys.Restrictions{Command: "internal-sftp", NoAgentForwarding: true},
			ssh.Permissions{CriticalOptions: map[string]string{"force-command": "internal-sftp"},
				Extensions: without("permit-agent-forwarding")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var progress bytes.Buffer
			be, err := r.Dial(context.Background(), aliceWeb(tc.grant), &progress)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			client := ssh.NewClient(be.Conn, be.Channels, be.Requests)
			defer client.Close()
			wantExec(t, client, "hostname", "alice+web: hostname")
			if got := progress.String(); got != "starting alice's guest web\n" {
				t.Errorf("progress = %q, want the locator's", got)
			}
			peers, logins := f.agent.seen()
			if peers[len(peers)-1] != "vmhost-gateway" {
				t.Errorf("the agent saw client certificate %q, want vmhost-gateway", peers[len(peers)-1])
			}
			got := logins[len(logins)-1]
			if got.user != "alice+web" {
				t.Errorf("SSH user = %q, want the login as typed, alice+web", got.user)
			}
			wantCert(t, got.cert, now, tc.want)
		})
	}
	_, logins := f.agent.seen()
	if bytes.Equal(logins[0].cert.Key.Marshal(), logins[1].cert.Key.Marshal()) {
		t.Errorf("two logins used the same key, want a fresh one each")
	}
}

// wantExec runs command over client and wants out.
func wantExec(t *testing.T, client *ssh.Client, command, want string) {
	t.Helper()
	s, err := client.NewSession()
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	defer s.Close()
	if out, err := s.Output(command); err != nil || string(out) != want {
		t.Errorf("exec %q over the relay's connection = %q, %v; want %q", command, out, err, want)
	}
}

// wantCert checks the certificate of alice's login made at now.
func wantCert(t *testing.T, cert *ssh.Certificate, now time.Time, perms ssh.Permissions) {
	t.Helper()
	type fields struct {
		Type, KeyType, KeyID    string
		Principals              []string
		ValidAfter, ValidBefore uint64
		Perms                   ssh.Permissions
	}
	got := fields{fmtCertType(cert.CertType), cert.Key.Type(), cert.KeyId, cert.ValidPrincipals,
		cert.ValidAfter, cert.ValidBefore, cert.Permissions}
	want := fields{"user", ssh.KeyAlgoED25519, "vmhost-gateway user=alice key=SHA256:abcdef from=192.0.2.7", []string{"alice"},
		uint64(now.Add(-time.Minute).Unix()), uint64(now.Add(2 * time.Minute).Unix()), perms}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(ssh.Permissions{})); diff != "" {
		t.Errorf("user certificate mismatch (-want +got):\n%s", diff)
	}
}

// fmtCertType names a certificate type.
func fmtCertType(t uint32) string {
	if t == ssh.UserCert {
		return "user"
	}
	return "host"
}

func TestDialRefusesAgent(t *testing.T) {
	f := newFixture(t, false)
	other := newTestCA(t, "another CA")
	for _, tc := range []struct {
		name  string
		tweak func(*Options)
		want  any // the error type wanted in the chain
	}{
		{"another node's name", func(o *Options) {
			o.Locator = fixedLocator{ep: Endpoint{Addr: f.agent.addr, ServerName: "node-2"}}
		}, new(x509.HostnameError)},
		{"another cluster CA", func(o *Options) { o.Credentials.ClusterCA = other.pool() }, new(x509.UnknownAuthorityError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, before := f.agent.seen()
			be, err := f.relay(t, tc.tweak).Dial(context.Background(), aliceWeb(authkeys.Restrictions{}), &bytes.Buffer{})
			if err == nil {
				be.Conn.Close()
				t.Fatalf("Dial = nil error, want the agent refused")
			}
			if !errors.As(err, tc.want) {
				t.Errorf("Dial = %v, want a %T in its chain", err, tc.want)
			}
			var u interface{ UserMessage() string }
			if !errors.As(err, &u) || strings.Contains(u.UserMessage(), f.agent.addr) {
				t.Errorf("Dial = %v, want a user message without the agent's address", err)
			}
			if _, after := f.agent.seen(); len(after) != len(before) {
				t.Errorf("the agent admitted an SSH login from a gateway that refused it")
			}
		})
	}
}

func TestDialLocatorError(t *testing.T) {
	f := newFixture(t, false)
	pending := errors.New("guest web is Pending: 0/3 nodes are available: 3 Insufficient memory")
	r := f.relay(t, func(o *Options) { o.Locator = fixedLocator{err: pending} })
	if _, err := r.Dial(context.Background(), aliceWeb(authkeys.Restrictions{}), &bytes.Buffer{}); !errors.Is(err, pending) {
		t.Errorf("Dial = %v, want the locator's error as is", err)
	}
}

func TestDialBounds(t *testing.T) {
	f := newFixture(t, true)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		cancel  time.Duration
	}{
		{"handshake timeout", 300 * time.Millisecond, 0},
		{"context cancelled", time.Minute, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.relay(t, func(o *Options) { o.HandshakeTimeout = tc.timeout })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			start := time.Now()
			_, err := r.Dial(ctx, aliceWeb(authkeys.Restrictions{}), &bytes.Buffer{})
			bound := tc.timeout
			if tc.cancel > 0 {
				bound = tc.cancel
			}
			if took := time.Since(start); err == nil || took < bound || took > bound+5*time.Second {
				t.Errorf("Dial to an agent that never speaks SSH = %v after %v, want an error after %v", err, took, bound)
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	_, userCAKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	userCA, err := ssh.NewSignerFromKey(userCAKey)
	if err != nil {
		t.Fatal(err)
	}
	agent := startAgent(t, ca, "node-1", userCA.PublicKey(), false)
	dir := t.TempDir()
	files := Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"),
		CA: filepath.Join(dir, "ca.crt"), UserCAKey: filepath.Join(dir, "user-ca")}
	cert := ca.issue(t, "vmhost-gateway", nil, x509.ExtKeyUsageClientAuth)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	userCAPEM, err := ssh.MarshalPrivateKey(userCAKey, "")
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, files.Cert, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	writePEM(t, files.Key, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	writePEM(t, files.CA, &pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	writePEM(t, files.UserCAKey, userCAPEM)

	creds, err := LoadCredentials(files)
	if err != nil {
		t.Fatalf("LoadCredentials: %v", err)
	}
	r, err := New(Options{Locator: fixedLocator{ep: Endpoint{Addr: agent.addr, ServerName: "node-1"}}, Credentials: creds})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	be, err := r.Dial(context.Background(), aliceWeb(authkeys.Restrictions{}), &bytes.Buffer{})
	if err != nil {
		t.Fatalf("Dial with the loaded credentials: %v", err)
	}
	client := ssh.NewClient(be.Conn, be.Channels, be.Requests)
	defer client.Close()
	wantExec(t, client, "true", "alice+web: true")

	if _, err := LoadCredentials(Files{Cert: files.Cert, Key: files.Key, CA: files.Key, UserCAKey: files.UserCAKey}); err == nil {
		t.Errorf("LoadCredentials with a key as the CA = nil error, want one")
	}
	if _, err := New(Options{Locator: fixedLocator{}}); err == nil {
		t.Errorf("New without credentials = nil error, want one")
	}
}

// writePEM writes b to path.
func writePEM(t *testing.T, path string, b *pem.Block) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeyIDNamesTheTeacher: a teacher's login into a student's guest names
// the teacher in the certificate's key ID, so the node's audit lines do.
func TestKeyIDNamesTheTeacher(t *testing.T) {
	tgt := sshgate.RelayTarget{Owner: "sam", KeyFingerprint: "SHA256:abc", Source: netip.MustParseAddr("192.0.2.9"),
		Grant: sshgate.Grant{Actor: "tina"}}
	if got, want := keyID(tgt), "vmhost-gateway user=sam key=SHA256:abc from=192.0.2.9 actor=tina"; got != want {
		t.Errorf("key ID %q, want %q", got, want)
	}
	tgt.Grant.Actor = ""
	if got := keyID(tgt); strings.Contains(got, "actor") {
		t.Errorf("the owner's own login: key ID %q names an actor", got)
	}
}
