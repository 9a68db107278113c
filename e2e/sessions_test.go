package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// termMux drives the OpenSSH client in terminals of tmux's, on a socket of
// the test's; its server ends with the test.
type termMux struct {
	t      *testing.T
	socket string
}

// newTermMux skips the test without tmux.
func newTermMux(t *testing.T) *termMux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is needed to drive ssh in a terminal: not found in PATH (make deps installs it)")
	}
	m := &termMux{t: t, socket: fmt.Sprintf("vmhost-e2e-%d", time.Now().UnixNano())}
	t.Cleanup(func() { exec.Command("tmux", "-L", m.socket, "kill-server").Run() })
	m.run("new-session", "-d", "-s", "hold", "cat") // keeps the server up when clients die
	return m
}

// run runs a tmux command and returns its output.
func (m *termMux) run(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", m.socket}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// open opens a window running command, 100x30.
func (m *termMux) open(name, command string) {
	m.run("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
}

// waitFor waits until window w shows want.
func (m *termMux) waitFor(w, want string) {
	m.t.Helper()
	var got string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if got = m.run("capture-pane", "-p", "-t", w); strings.Contains(got, want) {
			return
		}
	}
	m.t.Fatalf("window %s does not show %q; it shows:\n%s", w, want, got)
}

// kill kills window w's ssh client with SIGKILL.
func (m *termMux) kill(w string) {
	m.t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(m.run("display-message", "-p", "-t", w, "#{pane_pid}")))
	if err != nil {
		m.t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// TestSessionsSurviveDrop: in a real guest, a shell whose client is killed
// is reattached by the next login with its state; the session is recorded,
// listed by session ls and played back by session play.
func TestSessionsSurviveDrop(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "defaults:\n", "  record: true\n  record_input: true\n"))
	d.start(t)
	m := newTermMux(t)
	ssh := strings.Join(append([]string{sshPath, "-tt"}, d.sshArgs(d.keyOf(t, "alice"), "alice")...), " ")
	m.open("a", ssh)
	m.run("send-keys", "-t", "a", "cd /tmp; X=42; echo re''ady", "Enter")
	m.waitFor("a", "ready")
	m.kill("a")
	time.Sleep(500 * time.Millisecond) // the daemon sees the connection go

	m.open("b", ssh)
	m.waitFor("b", "vmhost: reattached to session 1")
	m.run("send-keys", "-t", "b", `echo "[$X $PWD]"`, "Enter")
	m.waitFor("b", "[42 /tmp]")

	ls := d.mustAdmin(t, "session", "ls", "--guest", "alice", "--json")
	var list struct {
		Live []struct {
			Session  int  `json:"session"`
			Attached bool `json:"attached"`
		} `json:"live"`
		Recordings []struct {
			ID string `json:"id"`
		} `json:"recordings"`
	}
	if err := json.Unmarshal([]byte(ls), &list); err != nil {
		t.Fatalf("session ls --json: %v\n%s", err, ls)
	}
	if len(list.Live) != 1 || !list.Live[0].Attached || len(list.Recordings) != 1 {
		t.Fatalf("session ls: %s; want session 1 attached and its recording", ls)
	}
	m.run("send-keys", "-t", "b", "exit", "Enter")
	poll(t, 10*time.Second, "the session ends", func() bool {
		return strings.Contains(d.mustAdmin(t, "session", "ls", "--json"), `"live": []`)
	})
	played := d.mustAdmin(t, "session", "play", list.Recordings[0].ID, "--speed", "1000")
	if !strings.Contains(played, "[42 /tmp]") || !strings.Contains(played, "ready") {
		t.Errorf("session play printed %q, want the session's output from both clients", played)
	}
	if _, err := exec.LookPath("asciinema"); err == nil { // asciinema's own player reads the file
		file := filepath.Join(d.dataDir, "recordings", list.Recordings[0].ID)
		// asciinema cat wants a terminal: script gives it one.
		out, err := exec.Command("script", "-q", "-e", "-c", "asciinema cat "+file, "/dev/null").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "[42 /tmp]") {
			t.Errorf("asciinema cat %s: %v\n%s", file, err, out)
		}
	} else {
		t.Log("asciinema is not installed (make deps installs it): its player's check skipped")
	}
	if res := d.admin(t, "", "session", "play", "alice/../../etc/passwd"); res.code == 0 {
		t.Errorf("session play of a path outside the recordings: %+v, want refused", res)
	}
}

// TestSessionsWatchJoin: an admin watches a user's live session (the user
// is told), sees what it shows, then joins it and types into it.
func TestSessionsWatchJoin(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	m := newTermMux(t)
	ssh := strings.Join(append([]string{sshPath, "-tt"}, d.sshArgs(d.keyOf(t, "alice"), "alice")...), " ")
	m.open("a", ssh)
	m.run("send-keys", "-t", "a", "echo sta''rted", "Enter")
	m.waitFor("a", "started")

	m.open("w", daemonBin+" session watch alice/1 --config "+d.configPath)
	m.waitFor("w", "started") // the screen as it is
	m.waitFor("a", "vmhost: an admin is watching this session")
	m.run("send-keys", "-t", "a", "echo seen-by-wat''cher", "Enter")
	m.waitFor("w", "seen-by-watcher")
	m.run("send-keys", "-t", "w", "echo ignored", "Enter") // a watcher's keys go nowhere
	m.run("send-keys", "-t", "w", "C-]")
	m.waitFor("a", "vmhost: an admin is no longer watching this session")

	m.open("j", daemonBin+" session join alice/1 --config "+d.configPath)
	m.waitFor("a", "vmhost: an admin is joined to this session")
	m.run("send-keys", "-t", "j", "echo typed-by-ad''min", "Enter")
	m.waitFor("a", "typed-by-admin")
	m.waitFor("j", "typed-by-admin")
	if strings.Contains(m.run("capture-pane", "-p", "-t", "a"), "ignored") {
		t.Error("what the watcher typed reached the session")
	}
	m.run("send-keys", "-t", "j", "C-]")
	m.waitFor("a", "vmhost: an admin is no longer joined to this session")
	m.run("send-keys", "-t", "a", "exit", "Enter")
}

// TestSessionsSurviveDaemonKill: a shell outlives a kill -9 of the daemon
// (the guest's init keeps its terminal), and the next login after the
// daemon is back gets it, with its state and what it printed while the
// daemon was down.
func TestSessionsSurviveDaemonKill(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	m := newTermMux(t)
	ssh := strings.Join(append([]string{sshPath, "-tt"}, d.sshArgs(d.keyOf(t, "alice"), "alice")...), " ")
	m.open("a", ssh)
	m.run("send-keys", "-t", "a", "cd /tmp; X=42; (sleep 3; echo printed-while-do''wn) &", "Enter")
	m.run("send-keys", "-t", "a", "echo re''ady", "Enter")
	m.waitFor("a", "ready")
	d.kill9(t)
	time.Sleep(4 * time.Second) // the background echo runs while no daemon reads
	d.start(t)

	m.open("b", ssh)
	m.waitFor("b", "vmhost: reattached to a session kept across a restart of vmhost")
	m.waitFor("b", "printed-while-down")
	m.run("send-keys", "-t", "b", `echo "[$X $PWD]"`, "Enter")
	m.waitFor("b", "[42 /tmp]")
	ls := d.mustAdmin(t, "session", "ls", "--guest", "alice", "--json")
	if !strings.Contains(ls, `"attached": true`) {
		t.Errorf("session ls after the restart: %s; want the adopted session attached", ls)
	}
	m.run("send-keys", "-t", "b", "exit", "Enter")
	poll(t, 10*time.Second, "the session ends", func() bool {
		return strings.Contains(d.mustAdmin(t, "session", "ls", "--json"), `"live": []`)
	})
}

// TestSessionsAgentFollows: a reattached shell's SSH_AUTH_SOCK reaches the
// agent of the connection it was reattached from, not the dropped one's.
func TestSessionsAgentFollows(t *testing.T) {
	requireTools(t, sshAgentPath, sshAddPath)
	d := newDaemon(t, daemonOptions{})
	d.uploadHelper(t, "alice")
	blob := func(key string) string {
		pub, err := os.ReadFile(key + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(pub))[1]
	}
	first, second := startAgent(t, d.keyOf(t, "alice")), startAgent(t, d.keyOf(t, "bob"))
	m := newTermMux(t)
	ssh := func(env []string) string {
		sock := env[len(env)-1] // SSH_AUTH_SOCK=...
		return "env " + sock + " " + strings.Join(append([]string{sshPath, "-tt"}, d.sshArgs(d.keyOf(t, "alice"), "alice", "-A")...), " ")
	}
	m.open("a", ssh(first))
	m.run("send-keys", "-t", "a", guestHelperPath+" agent-list; echo li''sted", "Enter")
	m.waitFor("a", "listed")
	m.waitFor("a", blob(d.keyOf(t, "alice"))[:40])
	m.kill("a")
	time.Sleep(500 * time.Millisecond)

	m.open("b", ssh(second))
	m.waitFor("b", "vmhost: reattached to session 1")
	m.run("send-keys", "-t", "b", "clear; "+guestHelperPath+" agent-list; echo again-li''sted", "Enter")
	m.waitFor("b", "again-listed")
	m.waitFor("b", blob(d.keyOf(t, "bob"))[:40])
	m.run("send-keys", "-t", "b", "exit", "Enter")
}

// TestSessionsOrphanTimesOut: a session kept across a daemon's kill -9 is
// still hung up detach_timeout after the daemon went, by the guest's init,
// when no daemon came back to take it over in time.
func TestSessionsOrphanTimesOut(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, d.cfg.yaml()+"ssh:\n  detach_timeout: 2s\n")
	d.start(t)
	m := newTermMux(t)
	ssh := strings.Join(append([]string{sshPath, "-tt"}, d.sshArgs(d.keyOf(t, "alice"), "alice")...), " ")
	m.open("a", ssh)
	m.run("send-keys", "-t", "a", "X=42; echo re''ady", "Enter")
	m.waitFor("a", "ready")
	d.kill9(t)
	time.Sleep(4 * time.Second) // past detach_timeout with no daemon
	d.start(t)

	m.open("b", ssh)
	m.run("send-keys", "-t", "b", `echo "[x$X]"`, "Enter")
	m.waitFor("b", "[x]")
	if screen := m.run("capture-pane", "-p", "-t", "b"); strings.Contains(screen, "reattached") {
		t.Errorf("a login after the timeout reattached the timed-out session:\n%s", screen)
	}
	m.run("send-keys", "-t", "b", "exit", "Enter")
}
