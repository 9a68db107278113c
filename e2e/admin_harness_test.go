package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adminTimeout bounds every run of an admin subcommand.
const adminTimeout = 60 * time.Second

// adminResult is how a run of the vmhostd command line ended.
type adminResult struct {
	stdout, stderr string
	code           int
}

// admin runs `vmhostd ARGS --config FILE` with stdin and returns how it
// ended.
func (d *daemon) admin(t testing.TB, stdin string, args ...string) adminResult {
	t.Helper()
	return d.adminAs(t, nil, stdin, args...)
}

// adminAs runs the command line as cred (nil: as the test, root).
func (d *daemon) adminAs(t testing.TB, cred *syscall.Credential, stdin string, args ...string) adminResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	args = withConfig(args, d.configPath)
	cmd := exec.CommandContext(ctx, daemonBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := adminResult{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("vmhostd %s: timed out after %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), adminTimeout, res.stdout, res.stderr)
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("vmhostd %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// withConfig puts --config path before a "--" in args, or at the end.
func withConfig(args []string, path string) []string {
	out := make([]string, 0, len(args)+2)
	for i, a := range args {
		if a == "--" {
			out = append(out, "--config", path)
			return append(out, args[i:]...)
		}
		out = append(out, a)
	}
	return append(out, "--config", path)
}

// mustAdmin runs the command line and fails the test unless it exits 0.
func (d *daemon) mustAdmin(t testing.TB, args ...string) string {
	t.Helper()
	res := d.admin(t, "", args...)
	if res.code != 0 {
		t.Fatalf("vmhostd %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// wantAdminError runs the command line and fails the test unless it exits
// with code and its stderr holds want.
func (d *daemon) wantAdminError(t testing.TB, code int, want string, args ...string) {
	t.Helper()
	res := d.admin(t, "", args...)
	if res.code != code || !strings.Contains(res.stderr, want) {
		t.Errorf("vmhostd %s = exit %d, stderr %q; want exit %d with %q", strings.Join(args, " "), res.code, res.stderr, code, want)
	}
}

// adminGuest is what the tests read of `vmhostd guest ls --json`.
type adminGuest struct {
	ID, Owner, Name, Image, State, Error, Address string
	Pid                                           int
	Sessions                                      int
}

// adminGuests returns the guests `vmhostd guest ls --json` lists, by id.
func (d *daemon) adminGuests(t testing.TB) map[string]adminGuest {
	t.Helper()
	var list []adminGuest
	if err := json.Unmarshal([]byte(d.mustAdmin(t, "guest", "ls", "--json")), &list); err != nil {
		t.Fatalf("reading guest ls --json: %v", err)
	}
	out := map[string]adminGuest{}
	for _, g := range list {
		out[g.ID] = g
	}
	return out
}

// startCrashing starts the daemon with the test-only crash point set.
func (d *daemon) startCrashing(t *testing.T, point string) {
	t.Helper()
	t.Setenv("VMHOST_TEST_CRASH", point)
	d.start(t)
	os.Unsetenv("VMHOST_TEST_CRASH")
}

// waitCrashed waits for the daemon to have killed itself with SIGKILL.
func (d *daemon) waitCrashed(t *testing.T) {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("vmhostd did not crash at its crash point:\n%s", d.log())
	}
	if st := d.cmd.ProcessState; st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("vmhostd ended with %v, want SIGKILL", d.cmd.ProcessState)
	}
	d.cmd = nil
}

// leftovers lists what a crash may leave under data_dir/guests.
func (d *daemon) leftovers(t testing.TB) []string {
	var out []string
	for _, name := range guestDirs(t, d.dataDir) {
		if strings.HasPrefix(name, ".") {
			out = append(out, name)
		}
	}
	return out
}

// checkGuestGone fails the test if anything of guest id is left on the
// host: its directories, its cgroups, a link of the daemon's bridge beyond
// those of the guests in running, or a mount under the daemon's directories.
func (d *daemon) checkGuestGone(t *testing.T, id string, running int) {
	t.Helper()
	for _, p := range []string{filepath.Join(d.dataDir, "guests", id), filepath.Join(d.runDir, "guests", id)} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after guest %s is gone (%v)", p, id, err)
		}
	}
	if left := d.leftovers(t); len(left) > 0 {
		t.Errorf("leftovers of an interrupted create or remove: %v", left)
	}
	cgroups, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", "vmhost-"+d.cfg.bridge, id))
	unified, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "vmhost-"+d.cfg.bridge, id))
	if left := append(cgroups, unified...); len(left) > 0 {
		t.Errorf("cgroups of guest %s left: %v", id, left)
	}
	if ports := bridgePorts(t, d.cfg.bridge); len(ports) != running {
		t.Errorf("bridge %s has ports %v, want %d (one per running guest)", d.cfg.bridge, ports, running)
	}
	checkUnmounted(t, d.dataDir)
	// The daemon's own, for every guest: the view servers' mounts.
	checkUnmounted(t, d.runDir, viewMount(d.runDir), filepath.Join(d.runDir, "view", "stat"))
}

// bridgePorts lists the links enslaved to bridge.
func bridgePorts(t testing.TB, bridge string) []string {
	entries, err := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	if err != nil {
		t.Fatalf("listing the ports of %s: %v", bridge, err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// withConfigLines returns the test config text with lines added after the
// first line that is exactly after.
func withConfigLines(t testing.TB, text, after, lines string) string {
	t.Helper()
	if !strings.Contains(text, after) {
		t.Fatalf("no %q in the test config:\n%s", after, text)
	}
	return strings.Replace(text, after, after+lines, 1)
}
