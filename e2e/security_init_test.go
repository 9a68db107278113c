package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestInitOutOfGuestRootsReach attacks a guest's init from inside as the
// guest's root: ptrace, pidfd_getfd, /proc/1/fd, /proc/1/mem and
// /proc/1/environ must all fail, so the init's control socket cannot be
// taken to answer the daemon in its place. Tracing the guest's own processes
// still works, and the init keeps no descriptor to a host file (its log goes
// to the daemon through a pipe) but its own cgroup's, read-only.
func TestInitOutOfGuestRootsReach(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	facts := d.attack(t, "alice", "init-tamper")
	for _, k := range []string{"ptrace_attach", "ptrace_seize", "pidfd_getfd", "proc_fd_link", "proc_mem", "proc_environ"} {
		v, ok := facts[k]
		if !ok || v == "ok" {
			t.Errorf("from inside the guest, %s on PID 1 = %q, want it refused (all facts: %v)", k, v, facts)
		}
	}
	if got := d.attack(t, "alice", "trace-own")["ptrace_child"]; got != "ok" {
		t.Errorf("guest root tracing its own process = %q, want ok", got)
	}
	if _, err := os.Stat(filepath.Join(d.dataDir, "guests", "alice", "init.log")); !os.IsNotExist(err) {
		t.Errorf("the guest's directory holds an init.log (%v): the init must write no host file", err)
	}
	states, err := guestStates(d.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	links, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", states["alice"].InitPID))
	if err != nil || len(links) == 0 {
		t.Fatalf("listing the init's descriptors: %v, %d found", err, len(links))
	}
	for _, l := range links {
		target, err := os.Readlink(l)
		if err == nil && strings.HasPrefix(target, "/") && target != "/dev/null" && !strings.HasPrefix(target, "/memfd:") &&
			!isGuestProc(l, states["alice"].InitPID) && !isGuestCgroupFile(t, l, states["alice"].InitPID) {
			t.Errorf("the init holds %s -> %s, a host file", l, target)
		}
	}
}

// isGuestCgroupFile says whether the descriptor link l of the init pid is
// a file of the guest's own cgroup (the init reads its memory use for
// sysinfo), read-only: the same file as one in the init's cgroup directory
// of some hierarchy on the host.
func isGuestCgroupFile(t *testing.T, l string, pid int) bool {
	var fd, dir unix.Stat_t
	if unix.Stat(l, &fd) != nil {
		return false
	}
	flags, _ := os.ReadFile(strings.Replace(l, "/fd/", "/fdinfo/", 1))
	if !strings.Contains(string(flags), "flags:") || fdWritable(string(flags)) {
		return false
	}
	target, _ := os.Readlink(l)
	paths, err := readCgroups(pid)
	mounts, err2 := readMounts()
	if err != nil || err2 != nil {
		return false
	}
	for ctrls, p := range paths {
		host := filepath.Join(cgroupMount(mounts, ctrls), p, filepath.Base(target))
		if unix.Stat(host, &dir) == nil && dir.Dev == fd.Dev && dir.Ino == fd.Ino {
			return true
		}
	}
	return false
}

// fdWritable says whether an fdinfo's flags open the file for writing.
func fdWritable(fdinfo string) bool {
	for _, line := range strings.Split(fdinfo, "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			f, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return err != nil || f&(unix.O_WRONLY|unix.O_RDWR) != 0
		}
	}
	return true
}

// isGuestProc says whether the descriptor link l of the init pid is a proc
// file system of the guest's own pid namespace (the init keeps the /proc it
// mounted): its process 1 is in the init's pid namespace, where the host's
// /proc would show the host's init.
func isGuestProc(l string, pid int) bool {
	var st unix.Statfs_t
	if unix.Statfs(l, &st) != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	theirs, err := os.Readlink(l + "/1/ns/pid")
	if err != nil {
		return false
	}
	ours, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	return err == nil && theirs == ours
}

// TestGuestSyscallsFiltered runs calls of the seccomp deny list from inside
// a guest as its root: each fails with EPERM; a nested user and mount
// namespace (containers in the guest) still works.
func TestGuestSyscallsFiltered(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	facts := d.attack(t, "alice", "denied-syscalls")
	for _, k := range []string{"keyctl", "add_key", "bpf", "perf_event_open", "kexec_load", "init_module", "open_by_handle", "userfaultfd", "io_uring_setup"} {
		if got := facts[k]; got != "EPERM" {
			t.Errorf("%s from inside the guest = %q, want EPERM (all: %v)", k, got, facts)
		}
	}
	if out := d.mustSSH(t, "alice", "unshare -Urm sh -c 'mount -t tmpfs x /mnt && echo nested'"); out != "nested\n" {
		t.Errorf("a nested user and mount namespace in the guest: %q, want nested", out)
	}
}
