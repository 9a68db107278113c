package sshgate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// These tests drive the real OpenSSH client against the server.

// aliceServer starts a server where alice may log in with her key.
func aliceServer(t *testing.T) (*testServer, userKey) {
	t.Helper()
	requireSSH(t)
	key := newUserKey(t, "alice")
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}})
	return ts, key
}

// wantResult compares an ssh result as a whole.
func wantResult(t *testing.T, what string, got, want sshResult) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(sshResult{})); diff != "" {
		t.Errorf("%s: result mismatch (-want +got):\n%s", what, diff)
	}
}

func TestExecExitStatus(t *testing.T) {
	ts, key := aliceServer(t)
	for _, code := range []int{0, 3, 255} {
		res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"exit " + strconv.Itoa(code)}})
		wantResult(t, fmt.Sprintf("ssh alice 'exit %d'", code), res, sshResult{code: code})
	}
	want := []openCall{{"alice", "alice"}, {"alice", "alice"}, {"alice", "alice"}}
	if diff := cmp.Diff(want, ts.guests.openCalls()); diff != "" {
		t.Errorf("Open calls mismatch (-want +got):\n%s", diff)
	}
}

func TestExecStdoutStderrSeparate(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo out; echo err >&2; echo out2"}})
	wantResult(t, "ssh alice 'echo out; echo err >&2; ...'", res, sshResult{stdout: "out\nout2\n", stderr: "err\n"})
}

// OpenSSH's client (9.x) does not report exit-signal: it exits 255 without a
// message, as it does against OpenSSH's sshd. The signal name itself is
// checked with the Go client in TestExitSignalName.
func TestExecKilledBySignal(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo before; kill -TERM $$"}})
	wantResult(t, "ssh alice 'kill -TERM $$'", res, sshResult{stdout: "before\n", code: 255})
}

func TestStdinPipedThrough(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", stdin: "hi\n", args: []string{"cat"}})
	wantResult(t, "echo hi | ssh alice cat", res, sshResult{stdout: "hi\n"})

	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	res = ts.run(t, sshCmd{key: key, login: "alice", stdin: big, args: []string{"wc -c"}})
	if got := strings.TrimSpace(res.stdout); got != strconv.Itoa(len(big)) || res.code != 0 {
		t.Errorf("ssh alice 'wc -c' < 1MiB = %q, exit %d; want %d, exit 0; stderr %q", got, res.code, len(big), res.stderr)
	}
}

func TestExecEnvironment(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice",
		opts: []string{"-o", "SetEnv=TERM=vt100 LANG=C.UTF-8 LC_ALL=C LD_PRELOAD=x PATH=/evil"},
		args: []string{"env"}})
	if res.code != 0 {
		t.Fatalf("ssh alice env exited %d; stderr %q", res.code, res.stderr)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	want := map[string]string{
		"HOME":    "/root",
		"USER":    "root",
		"LOGNAME": "root",
		"SHELL":   "/bin/sh",
		"PATH":    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM":    "vt100",
		"LANG":    "C.UTF-8",
		"LC_ALL":  "C",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("remote %s = %q, want %q", k, env[k], v)
		}
	}
	if v, ok := env["LD_PRELOAD"]; ok {
		t.Errorf("remote LD_PRELOAD = %q, want it refused", v)
	}
	if got := env["SSH_CONNECTION"]; !strings.HasPrefix(got, "127.0.0.1 ") || !strings.HasSuffix(got, " 127.0.0.1 "+ts.port) {
		t.Errorf("remote SSH_CONNECTION = %q, want \"127.0.0.1 PORT 127.0.0.1 %s\"", got, ts.port)
	}
	if got := env["SSH_CLIENT"]; !strings.HasPrefix(got, "127.0.0.1 ") || !strings.HasSuffix(got, " "+ts.port) {
		t.Errorf("remote SSH_CLIENT = %q, want \"127.0.0.1 PORT %s\"", got, ts.port)
	}
	req := ts.guests.spawns[0]
	if diff := cmp.Diff("env", req.Command); diff != "" || len(req.Argv) != 0 || req.Login || req.TTY != nil {
		t.Errorf("spawn request = %+v, want Argv [/bin/sh -c env], no login, no TTY", req)
	}
}

func TestPTYExec(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice",
		opts: []string{"-tt", "-o", "SetEnv=LANG=C.UTF-8"},
		env:  []string{"TERM=xterm-256color"},
		args: []string{"tty; echo TERM=$TERM LANG=$LANG; exit 4"}})
	if res.code != 4 {
		t.Errorf("ssh -tt alice '...; exit 4' exited %d, want 4; stderr %q", res.code, res.stderr)
	}
	for _, want := range []string{"/dev/pts/", "TERM=xterm-256color LANG=C.UTF-8\r\n"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("ssh -tt alice 'tty; echo TERM...' stdout = %q, want it to contain %q", res.stdout, want)
		}
	}
	if tty := ts.guests.spawns[0].TTY; tty == nil || tty.Term != "xterm-256color" {
		t.Errorf("spawn request TTY = %+v, want Term xterm-256color", tty)
	}
}

func TestPTYLoginShell(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-tt"},
		stdin: "echo hello-$((6*7))\nexit 6\n"})
	if res.code != 6 || !strings.Contains(res.stdout, "hello-42") {
		t.Errorf("ssh -tt alice with a script on stdin = exit %d, stdout %q; want exit 6 and hello-42", res.code, res.stdout)
	}
	req := ts.guests.spawns[0]
	if !req.Login || req.Argv != nil || req.TTY == nil {
		t.Errorf("spawn request = %+v, want a login shell with a TTY", req)
	}
}

// A background process keeps the terminal open; the session still ends.
func TestPTYBackgroundProcess(t *testing.T) {
	ts, key := aliceServer(t)
	start := time.Now()
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-tt"},
		args: []string{"sleep 3 & echo started"}})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("ssh -tt alice 'sleep 3 &' took %v, want it to end without waiting for sleep", took)
	}
	if res.code != 0 || !strings.Contains(res.stdout, "started") {
		t.Errorf("ssh -tt alice 'sleep 3 & echo started' = exit %d, stdout %q", res.code, res.stdout)
	}
}

func TestLoginGuestName(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice+web", args: []string{"true"}})
	wantResult(t, "ssh alice+web true", res, sshResult{})
	if diff := cmp.Diff([]openCall{{"alice", "web"}}, ts.guests.openCalls()); diff != "" {
		t.Errorf("Open calls mismatch (-want +got):\n%s", diff)
	}
}

func TestAuthRefused(t *testing.T) {
	requireSSH(t)
	alice := newUserKey(t, "alice")
	mallory := newUserKey(t, "mallory")
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{alice.pub}}})
	tests := []struct {
		name  string
		key   userKey
		login string
	}{
		{"unknown user", alice, "bob"},
		{"unknown user with a guest", alice, "bob+web"},
		{"wrong key", mallory, "alice"},
		{"wrong key for a guest", mallory, "alice+web"},
		{"bad login name", alice, "Alice"},
		{"bad guest name", alice, "alice+We_b"},
		{"empty guest name", alice, "alice+"},
	}
	for _, tt := range tests {
		res := ts.run(t, sshCmd{key: tt.key, login: tt.login, args: []string{"true"}})
		if res.code != 255 || !strings.Contains(res.stderr, "Permission denied") {
			t.Errorf("%s: ssh %s = exit %d, stderr %q; want 255 and Permission denied", tt.name, tt.login, res.code, res.stderr)
		}
	}
	if calls := ts.guests.openCalls(); len(calls) != 0 {
		t.Errorf("refused logins opened guests: %v", calls)
	}
}

func TestAuthorizedKeysFile(t *testing.T) {
	requireSSH(t)
	key := newUserKey(t, "alice")
	file := filepath.Join(t.TempDir(), "authorized_keys")
	ts := startServer(t, map[string]config.User{"alice": {AuthorizedKeysFile: file}})
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"true"}})
	if res.code != 255 {
		t.Errorf("ssh alice without an authorized_keys file exited %d, want 255", res.code)
	}
	if err := os.WriteFile(file, []byte(key.pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo in"}})
	wantResult(t, "ssh alice after adding the key to the file", res, sshResult{stdout: "in\n"})
}

func TestSubsystemRefused(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-s"}, args: []string{"nosuch"}})
	if res.code == 0 || !strings.Contains(res.stderr, "subsystem request failed") {
		t.Errorf("ssh -s alice sftp = exit %d, stderr %q; want a failure", res.code, res.stderr)
	}
	if calls := ts.guests.openCalls(); len(calls) != 0 {
		t.Errorf("a refused subsystem opened guests: %v", calls)
	}
}

func TestOpenErrorShown(t *testing.T) {
	ts, key := aliceServer(t)
	ts.guests.openErr = errors.New("alice has 3 guests already, the most allowed; remove one first")
	res := ts.run(t, sshCmd{key: key, login: "alice+four", args: []string{"echo never"}})
	wantResult(t, "ssh alice+four with Open failing", res, sshResult{
		stderr: "vmhost: alice has 3 guests already, the most allowed; remove one first\r\n",
		code:   1,
	})
}

func TestSpawnErrorShown(t *testing.T) {
	ts, key := aliceServer(t)
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-tt"}, args: []string{"true"}})
	if res.code != 0 {
		t.Fatalf("ssh -tt alice true exited %d; stderr %q", res.code, res.stderr)
	}
	// A spawn request the fake cannot run: an argv that does not exist.
	ts.guests.spawnErrArgv = true
	res = ts.run(t, sshCmd{key: key, login: "alice", args: []string{"true"}})
	if res.code != 1 || !strings.HasPrefix(res.stderr, "vmhost: starting the command in guest alice: ") {
		t.Errorf("ssh alice with Spawn failing = exit %d, stderr %q; want exit 1 and a vmhost: message", res.code, res.stderr)
	}
}
