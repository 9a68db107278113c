package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReliabCrashInStop kills the daemon in the middle of `guest stop` (of
// a guest with its files in data_dir, or on a disk of its own): after the
// init got SIGTERM, and after the init ended but before anything of it was
// cleaned up. After a restart the stop is done: guest ls says alice is
// stopped, and no init, link, cgroup, mounted disk, control socket, run
// directory or temporary file of hers is left, also when her init was
// still stopping as the daemon came back; bob runs on, and alice's files
// are all there when she logs in again.
func TestReliabCrashInStop(t *testing.T) {
	for _, tt := range []struct {
		point string
		disk  bool // alice has a disk of her own, mounted while she runs
	}{
		{"stop-after-signal", false},
		{"stop-after-exit", false},
		{"stop-after-exit", true},
	} {
		name := tt.point
		if tt.disk {
			name += "/disk"
		}
		t.Run(name, func(t *testing.T) {
			point := tt.point
			d := prepareDaemon(t, daemonOptions{})
			if tt.disk {
				requireDisks(t)
				d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "users:\n  alice:\n", "    limits: {disk: 64MiB}\n"))
			} else {
				d.writeConfig(t, d.cfg.yaml())
			}
			d.start(t)
			// A process that ignores SIGTERM keeps her init stopping for
			// its grace period, past the daemon's restart.
			d.mustSSH(t, "alice", "echo mine > /root/kept && nohup sh -c \"trap '' TERM; sleep 1000\" >/dev/null 2>&1 &")
			d.mustSSH(t, "bob", "true")
			st := d.initOf(t, "alice")
			cgroups := d.cgroupsOf(t, "alice")
			d.stop(t)
			d.startCrashing(t, point)
			if res := d.admin(t, "", "guest", "stop", "alice"); res.code == 0 {
				t.Fatalf("guest stop succeeded: the daemon did not crash in the stop: %+v", res)
			}
			d.waitCrashed(t)
			d.start(t)
			poll(t, 30*time.Second, "alice stopped after the restart", func() bool {
				return d.adminGuests(t)["alice"].State == "stopped"
			})
			if st.running() {
				t.Errorf("alice's init %d runs, with guest ls saying she is stopped", st.InitPID)
			}
			d.checkStoppedClean(t, "alice", cgroups)
			checkUnmounted(t, filepath.Join(d.dataDir, "disks", "alice"))
			poll(t, 10*time.Second, "one port on the bridge, bob's", func() bool { return len(bridgePorts(t, d.cfg.bridge)) == 1 })
			if g := d.adminGuests(t)["bob"]; g.State != "running" {
				t.Errorf("bob after the restart: %+v, want running", g)
			}
			if out := d.mustSSH(t, "alice", "cat /root/kept; pidof sleep || echo none"); out != "mine\nnone\n" {
				t.Errorf("alice after her interrupted stop: %q, want her file and a fresh start", out)
			}
		})
	}
}

// cgroupsOf returns the cgroup directories of guest id, which must exist.
func (d *daemon) cgroupsOf(t *testing.T, id string) []string {
	t.Helper()
	dirs := append(globs(t, filepath.Join("/sys/fs/cgroup", "*", "vmhost-"+d.cfg.bridge, id)),
		globs(t, filepath.Join("/sys/fs/cgroup", "vmhost-"+d.cfg.bridge, id))...)
	if len(dirs) == 0 {
		t.Fatalf("guest %s has no cgroup", id)
	}
	return dirs
}

// checkStoppedClean fails the test if anything of the running guest id is
// left while it is stopped: its cgroups, its run directory and control
// socket, a temporary state file, or a guest.json that names an init or
// says it is stopping.
func (d *daemon) checkStoppedClean(t *testing.T, id string, cgroups []string) {
	t.Helper()
	for _, p := range append(cgroups, filepath.Join(d.runDir, "guests", id)) {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left with guest %s stopped", p, id)
		}
	}
	dir := filepath.Join(d.dataDir, "guests", id)
	if temps := globs(t, filepath.Join(dir, ".guest.json.tmp-*")); len(temps) > 0 {
		t.Errorf("temporary state files left: %v", temps)
	}
	b, err := os.ReadFile(filepath.Join(dir, "guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, `"init_pid"`) || strings.Contains(s, `"stopping"`) {
		t.Errorf("guest.json of stopped guest %s:\n%s\nwant no init and no stop under way", id, s)
	}
	if left := d.leftovers(t); len(left) > 0 {
		t.Errorf("leftovers under data_dir/guests: %v", left)
	}
}
