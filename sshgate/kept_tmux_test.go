package sshgate

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vmsession "vmhost/session"
)

// tmux drives the OpenSSH client in a terminal of its own: a tmux server on
// a socket of the test's.
type tmux struct {
	t      *testing.T
	socket string
}

// newTmux starts nothing yet; its server ends with the test.
func newTmux(t *testing.T) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is needed to drive ssh in a terminal: not found in PATH (make deps installs it)")
	}
	tm := &tmux{t: t, socket: fmt.Sprintf("vmhost-test-%d", time.Now().UnixNano())}
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

// run runs a tmux command and returns its output.
func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns what window w shows.
func (tm *tmux) screen(w string) string { return tm.run("capture-pane", "-p", "-t", w) }

// waitScreen waits until window w shows want.
func (tm *tmux) waitScreen(w, want string) string {
	tm.t.Helper()
	var got string
	for end := time.Now().Add(sshTimeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if got = tm.screen(w); strings.Contains(got, want) {
			return got
		}
	}
	tm.t.Fatalf("window %s does not show %q after %v; it shows:\n%s", w, want, sshTimeout, got)
	return ""
}

// waitPrompt waits until window w's last line is a shell's prompt.
func (tm *tmux) waitPrompt(w string) {
	tm.t.Helper()
	var last string
	for end := time.Now().Add(sshTimeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		lines := strings.Split(strings.TrimRight(tm.screen(w), "\n "), "\n")
		if last = strings.TrimSpace(lines[len(lines)-1]); strings.HasSuffix(last, "#") || strings.HasSuffix(last, "$") {
			return
		}
	}
	tm.t.Fatalf("window %s shows no prompt after %v; its last line is %q", w, sshTimeout, last)
}

// killClient kills the process of window w, the ssh client, with SIGKILL:
// its connection drops with no goodbye.
func (tm *tmux) killClient(w string) {
	tm.t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(tm.run("display-message", "-p", "-t", w, "#{pane_pid}")))
	if err != nil {
		tm.t.Fatalf("reading the pid of window %s: %v", w, err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// sshCommand is the OpenSSH client's command line for an interactive login.
func sshCommand(ts *testServer, key userKey) string {
	return strings.Join([]string{"ssh", "-tt", "-F", "none", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "LogLevel=ERROR", "-i", key.path, "-p", ts.port, "alice@127.0.0.1"}, " ")
}

// TestKeptTmux is the scenario with the real client: a shell with
// state in one session, top in another; both clients killed with SIGKILL;
// the next login shows top's screen, the one after the shell with its
// state.
func TestKeptTmux(t *testing.T) {
	ts, key, table := keptServer(t, vmsession.Bounds{DetachTimeout: time.Hour, MaxDetached: 10})
	tm := newTmux(t)
	ssh := sshCommand(ts, key)
	tm.run("new-session", "-d", "-s", "hold", "cat") // keeps the tmux server up when clients die
	tm.run("new-session", "-d", "-s", "a", "-x", "100", "-y", "30", ssh)
	tm.run("send-keys", "-t", "a", "cd /tmp; X=42; echo rea''dy", "Enter")
	tm.waitScreen("a", "ready")
	tm.run("new-session", "-d", "-s", "b", "-x", "100", "-y", "30", ssh)
	tm.run("send-keys", "-t", "b", "top -d 1", "Enter")
	tm.waitScreen("b", "PID")

	tm.killClient("a")
	waitUntil(t, "the shell's session is detached", func() bool { return detached(table) == 1 })
	time.Sleep(20 * time.Millisecond)
	tm.killClient("b")
	waitUntil(t, "top's session is detached", func() bool { return detached(table) == 2 })

	tm.run("new-session", "-d", "-s", "c", "-x", "100", "-y", "30", ssh)
	tm.waitScreen("c", "load average") // top's screen, redrawn at once
	if i := table.List("alice"); len(i) != 2 || !i[1].Attached || i[0].Attached {
		t.Errorf("after the first login again: sessions %+v, want 2 (top's, detached last) attached", i)
	}
	tm.run("new-session", "-d", "-s", "d", "-x", "100", "-y", "30", ssh)
	tm.waitScreen("d", "vmhost: reattached to session 1")
	tm.run("send-keys", "-t", "d", `echo "[$X $PWD]"`, "Enter")
	tm.waitScreen("d", "[42 /tmp]")
	tm.run("send-keys", "-t", "c", "q")
	tm.waitPrompt("c") // else top may read the next keys too
	tm.run("send-keys", "-t", "c", "echo to''p-quit", "Enter")
	tm.waitScreen("c", "top-quit")
	tm.run("send-keys", "-t", "c", "exit", "Enter")
	tm.run("send-keys", "-t", "d", "exit", "Enter")
	waitUntil(t, "both sessions end", func() bool { return len(table.List("alice")) == 0 })
}

// detached counts alice's detached sessions.
func detached(table *vmsession.Table) int {
	n := 0
	for _, i := range table.List("alice") {
		if !i.Attached {
			n++
		}
	}
	return n
}
