package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestInitSmallHostileFiles plants, as the guest's root, hostile files
// where a process is started from (root's /etc/passwd, its home, the
// terminal multiplexer): each time a command and an interactive login work,
// or fail at once with a message that says why, and the init that serves
// them is the same process afterwards.
func TestInitSmallHostileFiles(t *testing.T) {
	t.Parallel()
	// Every login here wants a fresh login shell, also after one that
	// blocked on a hostile file was left: no reattach.
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "defaults:\n", "  reattach: false\n"))
	d.start(t)
	d.uploadAttacker(t, "alice")
	before := d.initOf(t, "alice")
	tests := []struct {
		plant    string
		wantMark string // INIT_SMALL_SHELL in the login shell: "1" if passwd named the marking shell
		wantDir  string // the working directory of a command
		login    string // what an interactive login shows instead of a prompt, if not a prompt
	}{
		{"passwd-huge-line", "1", "/root", ""},
		{"passwd-too-big", "", "/root", ""},
		// busybox's ash reads /etc/passwd for its prompt, and blocks there:
		// the login shell has started, with a word on why it is /bin/sh.
		{"passwd-fifo", "", "/root", "root's shell is /bin/sh: /etc/passwd is a FIFO: not a regular file"},
		{"passwd-loop", "", "/root", ""},
		{"home-loop", "", "/", ""},
		{"ptmx-fifo", "", "/root", "opening a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.plant, func(t *testing.T) {
			if got := d.attack(t, "alice", "init-small-plant", tt.plant)["planted_"+tt.plant]; got != "ok" {
				t.Fatalf("planting %s: %q", tt.plant, got)
			}
			defer d.attack(t, "alice", "init-small-undo", tt.plant)
			if got := d.mustSSH(t, "alice", "pwd"); got != tt.wantDir+"\n" {
				t.Errorf("pwd of a command = %q, want %s", got, tt.wantDir)
			}
			term := d.sshPTY(t, "alice", 24, 80)
			if tt.login != "" {
				term.expect(regexp.MustCompile(regexp.QuoteMeta(tt.login)), 20*time.Second)
				return
			}
			term.expect(promptRE, 30*time.Second)
			if got := term.run("echo x$INIT_SMALL_SHELL"); got != "x"+tt.wantMark {
				t.Errorf("INIT_SMALL_SHELL in the login shell = %q, want %q", strings.TrimPrefix(got, "x"), tt.wantMark)
			}
			term.write("exit\r")
			term.wait(20 * time.Second)
		})
	}
	if after := d.initOf(t, "alice"); after != before {
		t.Errorf("the guest's init changed from %+v to %+v: it must survive every plant", before, after)
	}
	if got := d.mustSSH(t, "alice", "echo still-here"); got != "still-here\n" {
		t.Errorf("a command after the plants = %q", got)
	}
	// The incubator gives up the init's protection from the OOM killer,
	// where the daemon could give it one (CAP_SYS_RESOURCE).
	initAdj, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", before.InitPID))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.mustSSH(t, "alice", "cat /proc/self/oom_score_adj"); got != "0\n" {
		t.Errorf("oom_score_adj of a command = %q (the init's %q), want 0", got, initAdj)
	}
	if string(initAdj) == "0\n" {
		t.Logf("the init's oom_score_adj is 0 on this host: the reset is not seen")
	}
}

// TestInitSmallResolverHang makes the guest's /etc/hosts a FIFO, where a
// resolver blocks, and forwards to a host name of the guest's (ssh -W
// localhost:9) a few times at once: each forward fails within the init's
// bound, the init keeps serving and stays the same process, and once
// /etc/hosts is back a forward to localhost works (a lookup stuck in PID 1
// would hold the resolver's lock for good).
func TestInitSmallResolverHang(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	d.serveLoopbackWWW(t, "alice", guestWebPort, "resolved")
	before := d.initOf(t, "alice")
	d.attack(t, "alice", "init-small-plant", "hosts-fifo")
	threads := initThreads(t, before.InitPID)
	const forwards = 8
	done := make(chan time.Duration, forwards)
	for i := 0; i < forwards; i++ {
		go func() {
			start := time.Now()
			cmd := exec.Command(sshPath, d.sshArgs(d.keyOf(t, "alice"), "alice", "-W", "localhost:9")...)
			cmd.Env = sshEnv()
			cmd.WaitDelay = time.Second
			cmd.Run()
			done <- time.Since(start)
		}()
	}
	// Meanwhile, the guest serves other requests.
	if got := d.mustSSH(t, "alice", "echo served"); got != "served\n" {
		t.Errorf("a command while the forwards hang = %q", got)
	}
	for i := 0; i < forwards; i++ {
		select {
		case took := <-done:
			t.Logf("a forward to localhost ended after %v", took)
		case <-time.After(45 * time.Second):
			t.Fatal("a forward to a host name of a guest whose /etc/hosts blocks did not end in 45s")
		}
	}
	if after := d.initOf(t, "alice"); after != before {
		t.Errorf("the guest's init changed from %+v to %+v", before, after)
	}
	// A lookup blocked in PID 1 would hold a thread for good.
	if now := initThreads(t, before.InitPID); now >= threads+forwards/2 {
		t.Errorf("the init has %d threads after %d forwards that block, %d before: they are stuck in it", now, forwards, threads)
	}
	d.attack(t, "alice", "init-small-undo", "hosts-fifo")
	cmd := exec.Command(sshPath, d.sshArgs(d.keyOf(t, "alice"), "alice", "-W", fmt.Sprintf("localhost:%d", guestWebPort))...)
	cmd.Env = sshEnv()
	cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if out, err := cmd.Output(); !strings.Contains(string(out), "resolved") {
		t.Errorf("a forward to localhost with /etc/hosts back: %v, %q; want the page", err, out)
	}
}

// initThreads is the number of threads of the init pid.
// Equivalent to: grep Threads /proc/PID/status
func initThreads(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no Threads line in /proc/%d/status", pid)
	return 0
}

// TestInitSmallProcMountedOver mounts a tmpfs over the guest's /proc, with
// FIFOs where the next processes' oom_score_adj would be. Commands, which
// the init starts itself, still work: it writes their oom_score_adj through
// its own /proc. An interactive login, which starts through an incubator
// executed from /proc/self/exe, fails at once and says why; once the tmpfs
// is gone, logins work again, from the same init.
func TestInitSmallProcMountedOver(t *testing.T) {
	t.Parallel()
	// Every login here wants a fresh login shell, also after one that
	// blocked on a hostile file was left: no reattach.
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "defaults:\n", "  reattach: false\n"))
	d.start(t)
	d.uploadAttacker(t, "alice")
	before := d.initOf(t, "alice")
	facts := d.attackInBackground(t, "alice", "init-small-proc", "15")
	waitFor(t, 20*time.Second, "the tmpfs over /proc", func() bool {
		out, _, _ := d.ssh(t, "alice", "test -e /proc/self/stat || echo mounted-over")
		return out == "mounted-over\n"
	})
	if got := d.mustSSH(t, "alice", "echo command"); got != "command\n" {
		t.Errorf("a command with /proc mounted over = %q", got)
	}
	term := d.sshPTY(t, "alice", 24, 80)
	term.expect(regexp.MustCompile(`mounted over the guest's /proc`), 20*time.Second)
	if f := <-facts; f["unmounted"] != "ok" {
		t.Errorf("the attack did not unmount its tmpfs: %v", f)
	}
	term = d.sshPTY(t, "alice", 24, 80)
	term.expect(promptRE, 30*time.Second)
	if got := term.run("echo back"); got != "back" {
		t.Errorf("a login after /proc is back: %q", got)
	}
	if after := d.initOf(t, "alice"); after != before {
		t.Errorf("the guest's init changed from %+v to %+v", before, after)
	}
}
