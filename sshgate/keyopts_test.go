package sshgate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// These tests drive the OpenSSH client against keys listed with
// authorized_keys options and against user certificates.

// keysServer starts a server where alice's keys are the authorized_keys
// file content, and returns it with the file's path.
func keysServer(t *testing.T, content string, tweak ...func(*Options)) (*testServer, string) {
	t.Helper()
	requireSSH(t)
	file := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	users := map[string]config.User{"alice": {AuthorizedKeysFile: file}}
	tweak = append(tweak, func(o *Options) { o.Users = NewKeyStore(users, "", o.Logger) })
	return startServer(t, users, tweak...), file
}

// wantOK wants an ssh run to succeed with stdout.
func wantOK(t *testing.T, what string, res sshResult, stdout string) {
	t.Helper()
	if res.code != 0 || res.stdout != stdout {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 0 and %q", what, res.code, res.stdout, res.stderr, stdout)
	}
}

// wantDenied wants an ssh run refused at login.
func wantDenied(t *testing.T, what string, res sshResult) {
	t.Helper()
	if res.code != 255 || !strings.Contains(res.stderr, "Permission denied") {
		t.Errorf("%s: exit %d, stderr %q; want the login refused", what, res.code, res.stderr)
	}
}

func TestKeyOptionFromAndExpiry(t *testing.T) {
	here, away, old, later := newUserKey(t, "here"), newUserKey(t, "away"), newUserKey(t, "old"), newUserKey(t, "later")
	ts, _ := keysServer(t, strings.Join([]string{
		`from="127.0.0.0/8,!127.0.0.2" ` + here.pub,
		`from="10.*" ` + away.pub,
		`expiry-time="20200101" ` + old.pub,
		`expiry-time="29991231Z" ` + later.pub,
	}, "\n")+"\n")
	wantOK(t, "from= matching 127.0.0.1", ts.run(t, sshCmd{key: here, login: "alice", args: []string{"echo ok"}}), "ok\n")
	wantDenied(t, "from= not matching", ts.run(t, sshCmd{key: away, login: "alice", args: []string{"echo ok"}}))
	wantDenied(t, "expired expiry-time", ts.run(t, sshCmd{key: old, login: "alice", args: []string{"echo ok"}}))
	wantOK(t, "future expiry-time", ts.run(t, sshCmd{key: later, login: "alice", args: []string{"echo ok"}}), "ok\n")
}

func TestKeyOptionUnknownRefusesLine(t *testing.T) {
	key := newUserKey(t, "alice")
	var logs logBuffer
	ts, file := keysServer(t, `tunnel="1" `+key.pub+"\n", captureLog(t, &logs))
	wantDenied(t, "a line with tunnel=", ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo ok"}}))
	if !strings.Contains(logs.String(), "skipping authorized keys line") || !strings.Contains(logs.String(), `unsupported option \"tunnel\"`) {
		t.Errorf("the log does not say which line of %s was refused and why:\n%s", file, logs.String())
	}
}

func TestKeyOptionCommand(t *testing.T) {
	key := newUserKey(t, "alice")
	ts, _ := keysServer(t, `command="echo forced: $SSH_ORIGINAL_COMMAND" `+key.pub+"\n")
	wantOK(t, "exec under command=", ts.run(t, sshCmd{key: key, login: "alice", args: []string{"rm -rf /"}}), "forced: rm -rf /\n")
	wantOK(t, "shell under command=", ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-T"}}), "forced:\n")
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-s"}, args: []string{"sftp"}})
	if res.stdout != "forced: sftp\n" {
		t.Errorf("sftp subsystem under command=: stdout %q, want the forced command", res.stdout)
	}
}

func TestKeyOptionInternalSFTP(t *testing.T) {
	key := newUserKey(t, "alice")
	ts, _ := keysServer(t, `restrict,command="internal-sftp" `+key.pub+"\n")
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo ok"}})
	if res.code != 1 || !strings.Contains(res.stderr, "allows sftp connections only") {
		t.Errorf("a command under command=internal-sftp: exit %d, stderr %q; want refused", res.code, res.stderr)
	}
	c := ts.dial(t, "alice", key)
	s := newSession(t, c)
	if err := s.RequestSubsystem("sftp"); err != nil {
		t.Errorf("the sftp subsystem under command=internal-sftp: %v, want it served", err)
	}
}

func TestKeyOptionNoPTY(t *testing.T) {
	key := newUserKey(t, "alice")
	ts, _ := keysServer(t, `no-pty `+key.pub+"\n")
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-tt"}, args: []string{"tty"}})
	if !strings.Contains(res.stderr, "PTY allocation request failed") || strings.Contains(res.stdout, "/dev/pts") {
		t.Errorf("ssh -tt with no-pty: stdout %q, stderr %q; want no terminal", res.stdout, res.stderr)
	}
}

func TestKeyOptionForwarding(t *testing.T) {
	open, none, listen := newUserKey(t, "open"), newUserKey(t, "none"), newUserKey(t, "listen")
	target := echoServer(t)
	ts, _ := keysServer(t, strings.Join([]string{
		`permitopen="` + target + `" ` + open.pub,
		`restrict ` + none.pub,
		`permitlisten="localhost:*" ` + listen.pub,
	}, "\n")+"\n")
	c := ts.dial(t, "alice", open)
	nc, err := c.Dial("tcp", target)
	if err != nil {
		t.Fatalf("forward to the permitopen target: %v", err)
	}
	roundTrip(t, nc, "allowed")
	var openErr *ssh.OpenChannelError
	if _, err := c.Dial("tcp", "127.0.0.1:1"); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("forward outside permitopen = %v, want prohibited", err)
	}

	r := ts.dial(t, "alice", none)
	if _, err := r.Dial("tcp", target); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("forward under restrict = %v, want prohibited", err)
	}
	if _, err := r.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Errorf("remote forward under restrict = nil error, want a refusal")
	}
	if _, err := r.ListenUnix(filepath.Join(t.TempDir(), "r.sock")); err == nil {
		t.Errorf("Unix remote forward under restrict = nil error, want a refusal")
	}
	if ok, err := newSession(t, r).SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("agent forwarding under restrict = %v, %v, want refused", ok, err)
	}

	l := ts.dial(t, "alice", listen)
	if _, err := l.Listen("tcp", "0.0.0.0:0"); err == nil {
		t.Errorf("remote forward on 0.0.0.0 with permitlisten=localhost:* = nil error, want a refusal")
	}
	ln, err := l.Listen("tcp", "localhost:0")
	if err != nil {
		t.Errorf("remote forward on localhost with permitlisten=localhost:*: %v", err)
	} else {
		ln.Close()
	}
}

// userCA is a user certificate authority made with ssh-keygen.
type userCA struct{ key, pub string }

// newUserCA makes a CA key pair.
func newUserCA(t *testing.T, name string) userCA {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path)
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return userCA{key: path, pub: strings.TrimSpace(string(pub))}
}

// sign makes a certificate for k with the ssh-keygen options args (-n
// principals, -V validity, -O options); the OpenSSH client finds it next to
// the key.
func (ca userCA) sign(t *testing.T, k userKey, args ...string) {
	t.Helper()
	sshKeygen(t, append(append([]string{"-q", "-s", ca.key, "-I", "test-" + filepath.Base(k.path)}, args...), k.path+".pub")...)
}

// caServer starts a server that trusts ca's user certificates, with users
// that have no keys of their own.
func caServer(t *testing.T, ca userCA, users ...string) *testServer {
	t.Helper()
	file := filepath.Join(t.TempDir(), "trusted_user_ca_keys")
	if err := os.WriteFile(file, []byte("# the lab's CA\n"+ca.pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]config.User{}
	for _, u := range users {
		cfg[u] = config.User{}
	}
	return startServer(t, cfg, func(o *Options) {
		o.Users = NewKeyStore(cfg, file, newTestLogger(t))
	})
}

func TestUserCertificates(t *testing.T) {
	requireSSH(t)
	ca, other := newUserCA(t, "ca"), newUserCA(t, "other")
	ts := caServer(t, ca, "carol", "dave")

	good := newUserKey(t, "good")
	ca.sign(t, good, "-n", "carol,ops")
	wantOK(t, "a certificate naming carol", ts.run(t, sshCmd{key: good, login: "carol", args: []string{"echo ok"}}), "ok\n")
	wantOK(t, "carol's named guest", ts.run(t, sshCmd{key: good, login: "carol+lab", args: []string{"echo ok"}}), "ok\n")
	wantDenied(t, "the same certificate as dave", ts.run(t, sshCmd{key: good, login: "dave", args: []string{"echo ok"}}))

	plain := newUserKey(t, "plain")
	wantDenied(t, "carol's key without a certificate", ts.run(t, sshCmd{key: plain, login: "carol", args: []string{"echo ok"}}))

	for _, tt := range []struct {
		name string
		ca   userCA
		args []string
	}{
		{"expired", ca, []string{"-n", "carol", "-V", "20200101:20200102"}},
		{"not yet valid", ca, []string{"-n", "carol", "-V", "+52w:+53w"}},
		{"no principals", ca, nil},
		{"another CA", other, []string{"-n", "carol"}},
		{"from another address", ca, []string{"-n", "carol", "-O", "source-address=10.0.0.0/8"}},
	} {
		k := newUserKey(t, strings.ReplaceAll(tt.name, " ", "-"))
		tt.ca.sign(t, k, tt.args...)
		wantDenied(t, "a certificate "+tt.name, ts.run(t, sshCmd{key: k, login: "carol", args: []string{"echo ok"}}))
	}

	forced := newUserKey(t, "forced")
	ca.sign(t, forced, "-n", "carol", "-O", "force-command=echo cert-forced", "-O", "source-address=127.0.0.0/8")
	wantOK(t, "a certificate with force-command", ts.run(t, sshCmd{key: forced, login: "carol", args: []string{"echo mine"}}), "cert-forced\n")

	nopty := newUserKey(t, "nopty")
	ca.sign(t, nopty, "-n", "carol", "-O", "clear")
	res := ts.run(t, sshCmd{key: nopty, login: "carol", opts: []string{"-tt"}, args: []string{"tty"}})
	if !strings.Contains(res.stderr, "PTY allocation request failed") {
		t.Errorf("ssh -tt with a certificate without permit-pty: stdout %q, stderr %q; want no terminal", res.stdout, res.stderr)
	}
}

func TestCertAuthorityLine(t *testing.T) {
	ca := newUserCA(t, "ca")
	ts, _ := keysServer(t, `cert-authority,principals="alice-laptop",no-pty `+ca.pub+"\n")
	good := newUserKey(t, "good")
	ca.sign(t, good, "-n", "alice-laptop")
	wantOK(t, "a certificate with the line's principal", ts.run(t, sshCmd{key: good, login: "alice", args: []string{"echo ok"}}), "ok\n")
	res := ts.run(t, sshCmd{key: good, login: "alice", opts: []string{"-tt"}, args: []string{"tty"}})
	if !strings.Contains(res.stderr, "PTY allocation request failed") {
		t.Errorf("ssh -tt under the CA line's no-pty: stderr %q; want no terminal", res.stderr)
	}
	named := newUserKey(t, "named")
	ca.sign(t, named, "-n", "alice")
	wantDenied(t, "a certificate naming alice but not the line's principals", ts.run(t, sshCmd{key: named, login: "alice", args: []string{"echo ok"}}))
	wantDenied(t, "the CA's own key", ts.run(t, sshCmd{key: userKey{path: ca.key}, login: "alice", args: []string{"echo ok"}}))
}
