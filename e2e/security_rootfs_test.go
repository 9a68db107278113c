package e2e

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loginWithin is how long the first login after a guest's restart may take:
// a normal start is well under a second.
const loginWithin = 15 * time.Second

// maxDaemonHWM bounds the daemon's peak resident memory across the attacks:
// reading a guest's /dev/zero or 100 MB file would pass it.
const maxDaemonHWM = 80 << 20

// TestSecurityRootfsOddFiles plays issue 14's attacks 3, 4 and 5 from inside
// a guest, as its root: it makes odd files where the daemon and the init
// read, write and mount (symlinks to /dev/zero and to a host directory,
// FIFOs, a 100 MB file, /proc, /sys, /dev, /tmp and /var replaced), then
// restarts the guest with `kill -TERM 1`. Each time the guest starts again
// and logs in within normal time, the daemon's memory stays small, the host
// directory stays untouched, and the odd file is kept or moved aside.
func TestSecurityRootfsOddFiles(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	host := makeTempDir(t, "", "vmhost-e2e-host-")
	t.Cleanup(func() { os.RemoveAll(host) })
	if err := os.Chmod(host, 0o777); err != nil { // writable by the guest's root, if it ever got there
		t.Fatal(err)
	}
	hostBefore := statOf(t, host)
	d.mustSSH(t, "alice", "true")
	attacks := []struct {
		name, script string
		check, want  string // run in the guest after its restart
	}{
		{"resolv.conf to /dev/zero", "ln -sf /dev/zero /etc/resolv.conf",
			"readlink /etc/resolv.conf", "/dev/zero\n"},
		{"resolv.conf FIFO", "rm -f /etc/resolv.conf; mkfifo /etc/resolv.conf",
			"stat -c %F /etc/resolv.conf", "fifo\n"},
		{"resolv.conf 100 MB", "rm -f /etc/resolv.conf; dd if=/dev/zero of=/etc/resolv.conf bs=1M count=100 2>/dev/null",
			"stat -c %s /etc/resolv.conf", "104857600\n"},
		{"hosts FIFO", "rm -f /etc/hosts; mkfifo /etc/hosts",
			"stat -c %F /etc/hosts", "fifo\n"},
		{"hostname to a host file", "rm -f /etc/hostname; ln -s HOST/hostname /etc/hostname",
			"readlink /etc/hostname", "HOST/hostname\n"},
		{"passwd FIFO", "cp /etc/passwd /root/passwd; rm -f /etc/passwd; mkfifo /etc/passwd",
			"stat -c %F /etc/passwd", "fifo\n"},
		{"var to a host directory", "mv /var /var.mine; ln -s HOST /var",
			"readlink /var.vmhost-moved-*; stat -c %F /var /var/tmp; ls /var.mine >/dev/null && echo kept", "HOST\ndirectory\ndirectory\nkept\n"},
		{"tmp to a host directory", "rm -rf /tmp; ln -s HOST /tmp",
			"readlink /tmp.vmhost-moved-*; stat -c '%a %F' /tmp", "HOST\n1777 directory\n"},
		{"proc to a host directory", "umount -l /proc; rmdir /proc; ln -s HOST /proc",
			"readlink /proc.vmhost-moved-*; cat /proc/1/comm", "HOST\nvmhost-init\n"},
		{"sys a FIFO", "umount -l /sys; rmdir /sys; mkfifo /sys",
			"stat -c %F /sys.vmhost-moved-*; ls /sys/kernel >/dev/null && echo sysfs", "fifo\nsysfs\n"},
		{"dev a file", "umount -l /dev; rm -rf /dev; echo mine > /dev",
			"cat /dev.vmhost-moved-*; echo x > /dev/null && ls /dev/pts/ptmx", "mine\n/dev/pts/ptmx\n"},
	}
	for _, a := range attacks {
		script := strings.ReplaceAll(a.script, "HOST", host)
		want := strings.ReplaceAll(a.want, "HOST", host)
		t.Run(strings.ReplaceAll(a.name, " ", "_"), func(t *testing.T) {
			d.restartAfter(t, "alice", script)
			if out, errOut, _ := d.ssh(t, "alice", a.check); out != want {
				t.Errorf("after the restart, %q = %q (stderr %q), want %q", a.check, out, errOut, want)
			}
			checkDaemonMemory(t, d)
			checkHostDir(t, host, hostBefore)
		})
	}
	t.Run("login_shell", func(t *testing.T) {
		// The shell starts; busybox's ash then blocks on the guest's own
		// FIFO when it looks up root's name, which is the guest's business.
		term := d.sshPTY(t, "alice", 24, 80)
		term.expect(regexp.MustCompile(`built-in shell \(ash\)`), loginWithin)
		list := `for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline; echo; done`
		if got := d.mustSSH(t, "alice", list); !regexp.MustCompile(`(?m)^-sh $`).MatchString(got) {
			t.Errorf("with /etc/passwd a FIFO, no login shell -sh (/bin/sh) runs; processes:\n%s", got)
		}
	})
	t.Run("logged", func(t *testing.T) {
		// The init's lines are in the daemon's log, quoted as its "line".
		logs := d.log()
		for _, want := range []string{
			`moved a file of the guest aside\" path=/var kind=symlink`,
			`moved a file of the guest aside\" path=/proc kind=symlink`,
			`moved a file of the guest aside\" path=/dev kind=\"regular file\"`,
			`/etc/hosts left as it is`,
			`keeping the guest's own /etc/resolv.conf`,
		} {
			if !strings.Contains(logs, want) {
				t.Errorf("the logs lack %q", want)
			}
		}
	})
	checkNeighbourAndHost(t, d, "after the attacks")
}

// TestSecurityRootfsNoDataDir checks that a guest's mount table does not show
// where the host keeps its files.
func TestSecurityRootfsNoDataDir(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	mounts := d.mustSSH(t, "alice", "cat /proc/self/mountinfo")
	for _, p := range []string{d.dataDir, d.baseDir, d.runDir} {
		if strings.Contains(mounts, p) {
			t.Errorf("the guest's /proc/self/mountinfo shows the host's %s:\n%s", p, mounts)
		}
	}
	if !regexp.MustCompile(`upperdir=/proc/self/fd/\d+`).MatchString(mounts) {
		t.Errorf("the guest's root overlay shows no upperdir as a descriptor:\n%s", mounts)
	}
}

// restartAfter runs script as login's root, then `kill -TERM 1`, waits for
// the guest's init to end, and logs in again: the guest must start within
// loginWithin.
func (d *daemon) restartAfter(t *testing.T, login, script string) {
	t.Helper()
	g := d.guest(t, login)
	d.ssh(t, login, script+"; kill -TERM 1") // the session ends with the guest
	if gone, err := waitExit(g.InitPID, g.InitStart, 20*time.Second); err != nil || !gone {
		t.Fatalf("the init %d still runs 20s after kill -TERM 1 (%v)", g.InitPID, err)
	}
	start := time.Now()
	out, errOut, code := d.ssh(t, login, "echo up")
	if took := time.Since(start); code != 0 || out != "up\n" || took > loginWithin {
		t.Fatalf("login after the restart: %q, %q, exit %d, in %v; want up within %v\ndaemon log:\n%s",
			out, errOut, code, took, loginWithin, tail(d.log()))
	}
}

// checkDaemonMemory fails the test if the daemon's peak resident memory
// passed maxDaemonHWM.
func checkDaemonMemory(t *testing.T, d *daemon) {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(d.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatalf("reading the daemon's status: %v", err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		t.Fatalf("no VmHWM in the daemon's status")
	}
	if kb, _ := strconv.Atoi(string(m[1])); kb<<10 > maxDaemonHWM {
		t.Errorf("the daemon's peak memory is %d kB, want at most %d", kb, maxDaemonHWM>>10)
	}
}

// statOf is the mode and owner of path.
func statOf(t *testing.T, path string) [3]uint32 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return [3]uint32{st.Mode, st.Uid, st.Gid}
}

// checkHostDir fails the test unless the host directory dir is still empty,
// with the mode and owner it had.
func checkHostDir(t *testing.T, dir string, before [3]uint32) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("the host directory %s holds %v: the guest wrote on the host", dir, entries)
	}
	if now := statOf(t, dir); now != before {
		t.Errorf("the host directory %s went from mode/uid/gid %o to %o", dir, before, now)
	}
}
