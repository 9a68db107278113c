package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestViewBusybox checks what a busybox guest with 256MiB and one CPU sees
// of its machine through the daemon's lxcfs: its memory in /proc/meminfo
// and /proc/swaps, one CPU in /proc/cpuinfo, /proc/stat and
// /sys/devices/system/cpu/online, read-only view files with the flags of
// the view, and a nested `unshare --mount-proc` that still works.
func TestViewBusybox(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)

	t.Run("Meminfo", func(t *testing.T) {
		got := d.guestMemTotalKiB(t, "alice")
		if got <= 0 || got > 256<<10 {
			t.Errorf("MemTotal in alice's /proc/meminfo = %d KiB, want at most %d (256MiB)", got, 256<<10)
		}
	})
	t.Run("FreeBusybox", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "free -m | awk '/^Mem:/ {print $2}'")
		if n, err := strconv.Atoi(strings.TrimSpace(out)); err != nil || n <= 0 || n > 256 {
			t.Logf("busybox free -m total = %q (busybox free calls sysinfo(2): the timens helper's seccomp notification)", out)
		}
	})
	t.Run("CPUs", func(t *testing.T) {
		d.ensureOwnCpuset(t, "alice", d.initOf(t, "alice").InitPID)
		if got := strings.TrimSpace(d.mustSSH(t, "alice", "grep -c ^processor /proc/cpuinfo")); got != "1" {
			t.Errorf("grep -c ^processor /proc/cpuinfo = %q, want 1", got)
		}
		if got := strings.TrimSpace(d.mustSSH(t, "alice", "grep -c '^cpu[0-9]' /proc/stat")); got != "1" {
			t.Errorf("cpu lines of /proc/stat = %q, want 1", got)
		}
		if got := strings.TrimSpace(d.mustSSH(t, "alice", "cat /sys/devices/system/cpu/online")); got != "0" {
			t.Errorf("/sys/devices/system/cpu/online = %q, want 0", got)
		}
	})
	t.Run("Mounts", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "grep ' fuse.lxcfs ' /proc/self/mountinfo")
		for _, f := range []string{"/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/sys/devices/system/cpu/online"} {
			line := mountLineAt(out, f)
			if line == "" {
				t.Errorf("no lxcfs mount on %s in alice's mountinfo:\n%s", f, out)
				continue
			}
			opts := strings.Split(strings.Fields(line)[5], ",")
			for _, want := range []string{"ro", "nosuid", "nodev", "noexec"} {
				if !slices.Contains(opts, want) {
					t.Errorf("mount on %s has options %v, want %s", f, opts, want)
				}
			}
		}
	})
	t.Run("NestedMountProc", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "unshare -m -p -f --mount-proc sh -c 'cat /proc/1/comm; cat /proc/meminfo'")
		comm, meminfo, _ := strings.Cut(out, "\n")
		if comm != "sh" || memTotalKiB(meminfo) != hostMemTotalKiB(t) {
			t.Errorf("unshare --mount-proc in alice's guest: %q, want sh as PID 1 and the kernel's /proc/meminfo (MemTotal %d KiB)", out, hostMemTotalKiB(t))
		}
	})
}

// mountLineAt returns the line of mountinfo text whose mount point is p.
func mountLineAt(mountinfo, p string) string {
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == p {
			return line
		}
	}
	return ""
}
