package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReliabIncompleteConfig checks that `vmhostd serve` refuses a file that
// is not a whole configuration: empty, or with no users.
func TestReliabIncompleteConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, text, want string
	}{
		{"empty", "", "the file is empty; a configuration needs at least users:"},
		{"comments only", "# listen: 0.0.0.0:2222\n", "users: no user is defined"},
		{"no users", "", "users: no user is defined"},
		{"users {}", "users: {}\n", "users: no user is defined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := prepareDaemon(t, daemonOptions{})
			text := tt.text
			if tt.name == "no users" || tt.name == "users {}" {
				full := d.cfg.yaml()
				text = full[:strings.Index(full, "users:\n")] + tt.text
			}
			d.writeConfig(t, text)
			stderr, code := d.serveUntilExit(t, 10*time.Second)
			if code == 0 || !strings.Contains(stderr, filepath.Base(d.configPath)) || !strings.Contains(stderr, tt.want) {
				t.Errorf("vmhostd serve with %s: exit %d, stderr %q; want non-zero and %q", tt.name, code, stderr, tt.want)
			}
		})
	}
}

// vmHWM returns the peak resident memory of process pid, in KiB.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// TestReliabReloadRefusesIncomplete checks that a reload (vmhostd reload or
// SIGHUP) of an empty file, of one without users or of a huge one is
// refused, fast and in little memory, and that the daemon keeps the
// configuration it had.
func TestReliabReloadRefusesIncomplete(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	original := d.cfg.yaml()
	t.Cleanup(func() { d.writeConfig(t, original) }) // before the daemon's: network teardown reads it

	// An empty file names no run_dir, so vmhostd reload would not find this
	// daemon's socket: SIGHUP.
	d.writeConfig(t, "")
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "the daemon refusing the empty file", func() bool {
		return strings.Contains(d.log(), "refused, the one in use is kept\" err=\""+d.configPath+": the file is empty")
	})
	d.writeConfig(t, original[:strings.Index(original, "users:\n")]+"users: {}\n")
	d.wantAdminError(t, 1, "users: no user is defined", "reload")
	if out := d.mustSSH(t, "alice", "echo kept"); out != "kept\n" {
		t.Errorf("alice after refused reloads = %q, want her configuration kept", out)
	}

	// 50 MiB of configuration by SIGHUP: refused at once, the memory kept.
	before := vmHWM(t, d.cmd.Process.Pid)
	big := original + "#" + strings.Repeat("x", 50<<20) + "\n"
	d.writeConfig(t, big)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "the daemon refusing the 50 MiB file", func() bool {
		return strings.Contains(d.log(), "the file is larger than 4 MiB, the most a configuration may be")
	})
	if after := vmHWM(t, d.cmd.Process.Pid); after-before > 64<<10 {
		t.Errorf("the daemon's peak memory grew from %d to %d KiB reading a 50 MiB file, want it read no further than 4 MiB", before, after)
	}
	if out := d.mustSSH(t, "bob", "echo kept"); out != "kept\n" {
		t.Errorf("bob after the refused reload = %q, want his configuration kept", out)
	}
}

// TestReliabAdminSlowBody checks that the admin API answers a request whose
// body never comes, and closes its connection, within seconds.
func TestReliabAdminSlowBody(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	c, err := net.Dial("unix", filepath.Join(d.runDir, "vmhostd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(30 * time.Second))
	io.WriteString(c, "POST /v1/reload HTTP/1.1\r\nHost: vmhostd\r\nContent-Length: 100\r\n\r\nhello")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a request whose body never comes: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "did not come within") {
		t.Errorf("answer %d %s, want 408 saying the body did not come", resp.StatusCode, body)
	}
	if n, err := io.Copy(io.Discard, br); err != nil || n != 0 {
		t.Errorf("after the answer: %d bytes, %v; want the connection closed", n, err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("answered and closed after %v, want within the 10s body timeout", took)
	}
	d.mustAdmin(t, "guest", "ls") // the API goes on
}

// TestReliabCrashInReset kills the daemon in the middle of a reset and
// checks that the next start finishes it: the guest has none of its own
// files, and nothing of the reset is left.
func TestReliabCrashInReset(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "mkdir /root/many && cd /root/many && i=0; while [ $i -lt 3000 ]; do echo $i > f$i; i=$((i+1)); done")
	d.mustSSH(t, "bob", "echo mine > /root/bob")
	d.stop(t)
	d.startCrashing(t, "reset-after-rename")
	if res := d.admin(t, "", "guest", "reset", "alice", "--yes"); res.code == 0 {
		t.Fatalf("guest reset succeeded: the daemon did not crash in the reset: %+v", res)
	}
	d.waitCrashed(t)
	if left := d.leftovers(t); len(left) != 1 || !strings.HasPrefix(left[0], ".resetting-alice-") {
		t.Fatalf("after the crash, data_dir/guests holds %v; want the half-done reset", left)
	}
	d.start(t)
	if left := d.leftovers(t); len(left) != 0 {
		t.Errorf("after the restart, data_dir/guests holds %v; want the reset finished", left)
	}
	if out := d.mustSSH(t, "alice", "ls /root/many 2>/dev/null | wc -l; hostname"); out != "0\nalice\n" {
		t.Errorf("alice after her interrupted reset: %q; want none of her 3000 files, and her guest", out)
	}
	if out := d.mustSSH(t, "bob", "cat /root/bob"); out != "mine\n" {
		t.Errorf("bob's file after alice's reset = %q", out)
	}
}

// TestReliabSweepAfterKilledInit kills a guest's init while no daemon
// watches, and checks that the next start removes its cgroup, control
// socket, run directory and a temporary state file a crash left.
func TestReliabSweepAfterKilledInit(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	st := d.initOf(t, "alice")
	cgroups := append(globs(t, filepath.Join("/sys/fs/cgroup", "*", "vmhost-"+d.cfg.bridge, "alice")),
		globs(t, filepath.Join("/sys/fs/cgroup", "vmhost-"+d.cfg.bridge, "alice"))...)
	if len(cgroups) == 0 {
		t.Fatal("alice has no cgroup while she runs")
	}
	d.stop(t)
	if err := syscall.Kill(st.InitPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "alice's init gone", func() bool { return !st.running() })
	temp := filepath.Join(d.dataDir, "guests", "alice", ".guest.json.tmp-123456")
	if err := os.WriteFile(temp, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	for _, p := range append(cgroups, temp, filepath.Join(d.runDir, "guests", "alice")) {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left after the start, with alice not running", p)
		}
	}
	if g := d.adminGuests(t)["alice"]; g.State != "stopped" {
		t.Errorf("alice after the start = %+v, want stopped", g)
	}
	if out := d.mustSSH(t, "alice", "hostname"); out != "alice\n" {
		t.Errorf("alice after the sweep = %q", out)
	}
}

// globs returns the paths matching pattern.
func globs(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReliabKilledInitMessage kills the init of a guest under an open
// session of the OpenSSH client, and checks that the session ends saying so.
func TestReliabKilledInitMessage(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	st := d.initOf(t, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshPath, append(d.sshArgs(d.keyOf(t, "alice"), "alice"), "echo started; exec sleep 1000")...)
	cmd.Env = sshEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "alice's session running", func() bool {
		o, _, _ := d.ssh(t, "alice", "pidof sleep")
		return strings.TrimSpace(o) != ""
	})
	if err := syscall.Kill(st.InitPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the session went on after its guest's init was killed; stderr %q", errOut.String())
	}
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	}
	if code != 255 || out.String() != "started\n" ||
		!strings.Contains(errOut.String(), "vmhost: the guest stopped (its init ended), and this session with it; log in again to start it") {
		t.Errorf("the session whose init was killed: exit %d, stdout %q, stderr %q; want 255 and the message", code, out.String(), errOut.String())
	}
	if o := d.mustSSH(t, "alice", "echo again"); o != "again\n" {
		t.Errorf("alice after her init was killed = %q, want her guest started again", o)
	}
}
