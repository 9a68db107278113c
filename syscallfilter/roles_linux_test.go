package syscallfilter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// roleEnv names the part a re-executed test binary plays.
const roleEnv = "SYSCALLFILTER_TEST_ROLE"

// nestedDirEnv passes the nested role the directory it mounts a tmpfs on.
const nestedDirEnv = "SYSCALLFILTER_TEST_DIR"

// roles are the parts of the privileged tests that run in child processes.
var roles = map[string]func() error{
	"installer": installerRole,
	"guest":     guestRole,
	"nested":    nestedRole,
	"euid":      euidRole,
	"sleeper":   sleeperRole,
}

// TestMain plays a role when the test binary is re-executed as one.
func TestMain(m *testing.M) {
	if name := os.Getenv(roleEnv); name != "" {
		if err := roles[name](); err != nil {
			fmt.Fprintf(os.Stderr, "role %s: %v\n", name, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// roleCommand returns the test binary set to play role, output to ours.
func roleCommand(path, role string, env ...string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd
}

// report prints one fact for the test to check.
func report(key, value string) {
	fmt.Printf("%s=%s\n", key, value)
}

// result names the outcome of a call: ok or the errno's name.
func result(err error) string {
	var errno unix.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

// installerRole is the guest's init: it filters its locked thread, shows
// another thread unfiltered, and forks the guest from the filtered thread.
func installerRole() error {
	runtime.LockOSThread() // never unlocked: the thread carries the filter
	if err := InstallThread(); err != nil {
		return err
	}
	report("filtered.thread.seccomp", statusField("/proc/thread-self/status", "Seccomp"))
	report("filtered.thread.keyctl", result(probeKeyctl()))
	onOtherThread(func() {
		report("unfiltered.thread.seccomp", statusField("/proc/thread-self/status", "Seccomp"))
		runProbes("unfiltered", deniedProbes)
		runI386Probes("unfiltered")
	})
	return roleCommand("/proc/self/exe", "guest").Run()
}

// onOtherThread runs f on a thread of its own, ended afterwards.
func onOtherThread(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: Go ends the thread
		f()
	}()
	<-done
}

// guestRole is a guest process: it reports what the filter lets it do.
func guestRole() error {
	report("guest.seccomp", statusField("/proc/self/status", "Seccomp"))
	report("guest.nonewprivs", statusField("/proc/self/status", "NoNewPrivs"))
	onOtherThread(func() {
		report("guest.other_thread.seccomp", statusField("/proc/thread-self/status", "Seccomp"))
	})
	runProbes("guest", deniedProbes)
	runProbes("guest", allowedProbes)
	runI386Probes("guest")
	report("guest.ptrace", result(ptraceChild()))
	report("guest.setuid_euid", setuidEuid())
	report("guest.unshare_command", unshareCommand())
	report("guest.nested_end", nestedGuest())
	return nil
}

// ptraceChild attaches to a child and detaches.
// Equivalent to: strace -p PID, stopped at once.
func ptraceChild() error {
	cmd := roleCommand("/proc/self/exe", "sleeper")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	runtime.LockOSThread() // a tracee belongs to the tracing thread
	defer runtime.UnlockOSThread()
	pid := cmd.Process.Pid
	if err := unix.PtraceAttach(pid); err != nil {
		return err
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return err
	}
	return unix.PtraceDetach(pid)
}

// setuidEuid runs a setuid-root copy of the test binary as nobody and
// returns the effective uid it got, or why it could not run.
func setuidEuid() string {
	dir, err := os.MkdirTemp("", "syscallfilter-suid-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil || fs.Flags&unix.ST_NOSUID != 0 {
		return "nosuid"
	}
	path := filepath.Join(dir, "euid")
	if err := copySetuid(path); err != nil {
		return err.Error()
	}
	cmd := roleCommand(path, "euid")
	cmd.Stdout = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// copySetuid copies the running binary to path, setuid root, reachable by
// everyone.
func copySetuid(path string) error {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.Chmod(path, 0o755|os.ModeSetuid)
}

// unshareCommand mounts a tmpfs in a new user and mount namespace made by
// unshare(1), a single-threaded program.
// Equivalent to: unshare -Urm sh -c 'mount -t tmpfs none /mnt'
func unshareCommand() string {
	if _, err := exec.LookPath("unshare"); err != nil {
		return "no unshare(1)"
	}
	script := `mount -t tmpfs none /mnt && grep -q " /mnt tmpfs " /proc/self/mounts && echo ok`
	out, err := exec.Command("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%v: %q", err, out)
	}
	return strings.TrimSpace(string(out))
}

// nestedGuest runs the nested role as pid 1 of new namespaces, as a
// container inside the guest, and returns how it ended.
func nestedGuest() string {
	dir, err := os.MkdirTemp("", "syscallfilter-nested-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	cmd := roleCommand("/proc/self/exe", "nested", nestedDirEnv+"="+dir)
	root := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
			unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP,
		UidMappings: root,
		GidMappings: root,
	}
	err = cmd.Run()
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// nestedRole is a container inside the guest: it mounts, pivots, unmounts,
// and reboots, which ends its pid namespace with SIGHUP.
func nestedRole() error {
	runtime.LockOSThread() // unshare below is per thread
	report("nested.pid", strconv.Itoa(os.Getpid()))
	dir := os.Getenv(nestedDirEnv)
	report("nested.make_private", result(unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")))
	report("nested.mount_tmpfs", result(unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m")))
	report("nested.pivot_root", result(pivotInto(dir)))
	report("nested.chroot", result(unix.Chroot("/")))
	report("nested.mknod_fifo", result(unix.Mknod("/fifo", unix.S_IFIFO|0o600, 0)))
	report("nested.sethostname", result(unix.Sethostname([]byte("nested"))))
	report("nested.unshare", result(unix.Unshare(unix.CLONE_NEWUTS|unix.CLONE_NEWIPC|unix.CLONE_NEWNET)))
	report("nested.keyctl", result(probeKeyctl()))
	unmounts()
	if os.Getpid() != 1 {
		return errors.New("not pid 1 of a new pid namespace: not calling reboot")
	}
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	report("nested.reboot", result(err)) // reached only if reboot failed
	return err
}

// pivotInto makes dir the root and detaches the old one.
// Equivalent to: cd DIR && pivot_root . old && umount -l /old
func pivotInto(dir string) error {
	old := filepath.Join(dir, "old")
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(dir, old); err != nil {
		return err
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	return unix.Unmount("/old", unix.MNT_DETACH)
}

// unmounts reports a forced and a lazy unmount of a tmpfs of our own.
func unmounts() {
	err := os.Mkdir("/t", 0o700)
	if err == nil {
		err = unix.Mount("tmpfs", "/t", "tmpfs", 0, "size=1m")
	}
	if err != nil {
		report("nested.umount", err.Error())
		return
	}
	report("nested.umount_force", result(unix.Unmount("/t", unix.MNT_FORCE)))
	report("nested.umount_detach", result(unix.Unmount("/t", unix.MNT_DETACH)))
}

// euidRole prints the effective uid it runs with.
func euidRole() error {
	fmt.Print(unix.Geteuid())
	return nil
}

// sleeperRole waits to be traced and killed.
func sleeperRole() error {
	time.Sleep(time.Minute)
	return nil
}

// statusField returns a field of a /proc status file, or why it cannot.
func statusField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "missing"
}
