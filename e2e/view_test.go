package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestViewBusybox checks what a busybox guest with 256MiB and one CPU sees
// of its machine through the daemon's lxcfs: its memory in /proc/meminfo,
// one CPU in /proc/cpuinfo and /sys/devices/system/cpu/online,
// its own tasks in /proc/loadavg, view files mounted read-only, nosuid,
// nodev and noexec, and a nested `unshare --mount-proc` that still works.
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
	t.Run("CPUs", func(t *testing.T) {
		d.ensureOwnCpuset(t, "alice", d.initOf(t, "alice").InitPID)
		if got := strings.TrimSpace(d.mustSSH(t, "alice", "grep -c ^processor /proc/cpuinfo")); got != "1" {
			t.Errorf("grep -c ^processor /proc/cpuinfo = %q, want 1", got)
		}
		if got := strings.TrimSpace(d.mustSSH(t, "alice", "cat /sys/devices/system/cpu/online")); got != "0" {
			t.Errorf("/sys/devices/system/cpu/online = %q, want 0", got)
		}
	})
	t.Run("Loadavg", func(t *testing.T) {
		// The fourth field is running/total tasks: a busybox guest has a
		// handful, the host hundreds.
		out := d.mustSSH(t, "alice", "cat /proc/loadavg")
		f := strings.Fields(out)
		_, total, _ := strings.Cut(viewFirst(f[min(3, len(f)):]), "/")
		if n, err := strconv.Atoi(total); err != nil || n <= 0 || n > 20 {
			t.Errorf("/proc/loadavg in alice's guest = %q, want the guest's own few tasks", out)
		}
	})
	t.Run("Mounts", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "grep ' fuse.lxcfs ' /proc/self/mountinfo")
		if line := mountLineAt(out, "/proc/stat"); line != "" {
			t.Errorf("/proc/stat is lxcfs's (%s): its btime would put every process's START off", line)
		}
		for _, f := range []string{"/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo", "/proc/swaps", "/sys/devices/system/cpu/online"} {
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

// TestViewLimitsAndAttacks checks that a live limits change shows in the
// guest's /proc/meminfo within a second, and that a guest's root can
// neither write the view files, even after remounting them read-write, nor
// change what another guest sees by unmounting its own.
func TestViewLimitsAndAttacks(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	d.mustSSH(t, "bob", "echo up")

	t.Run("LiveLimits", func(t *testing.T) {
		d.mustAdmin(t, "guest", "limits", "alice", "--memory", "128MiB")
		changed := time.Now()
		for d.guestMemTotalKiB(t, "alice") != 128<<10 {
			if time.Since(changed) > time.Second {
				t.Fatalf("MemTotal in alice's guest %d KiB a second after guest limits --memory 128MiB, want %d", d.guestMemTotalKiB(t, "alice"), 128<<10)
			}
		}
		t.Logf("MemTotal showed 128MiB %v after the change", time.Since(changed).Round(time.Millisecond))
	})
	t.Run("Write", func(t *testing.T) {
		for _, f := range []string{"/proc/meminfo", "/proc/cpuinfo", "/sys/devices/system/cpu/online"} {
			out, errOut, code := d.ssh(t, "alice", "echo 0 > "+f)
			if code == 0 {
				t.Errorf("echo 0 > %s in alice's guest succeeded (%q %q)", f, out, errOut)
			}
		}
		out, _, _ := d.ssh(t, "alice", "mount -o remount,bind,rw /proc/meminfo; echo 0 > /proc/meminfo && echo written")
		if strings.Contains(out, "written") {
			t.Errorf("alice's root wrote /proc/meminfo after remounting it read-write")
		}
		if got := d.guestMemTotalKiB(t, "bob"); got <= 0 || got > 256<<10 {
			t.Errorf("MemTotal in bob's guest = %d KiB after alice's writes, want at most 256MiB", got)
		}
	})
	t.Run("Unmount", func(t *testing.T) {
		d.mustSSH(t, "alice", "umount /proc/meminfo")
		if got, host := d.guestMemTotalKiB(t, "alice"), hostMemTotalKiB(t); got != host {
			t.Errorf("MemTotal in alice's guest = %d KiB after she unmounted her view, want the kernel's %d", got, host)
		}
		if got := d.guestMemTotalKiB(t, "bob"); got <= 0 || got > 256<<10 {
			t.Errorf("MemTotal in bob's guest = %d KiB after alice unmounted her view, want at most 256MiB", got)
		}
	})
}

// readLoop is a shell loop, run in the background in a guest, that reads
// /proc/meminfo every 50ms for 8 seconds and writes a line per read to
// /tmp/reads: the uptime and "ok KIB" or "fail", then "end".
const readLoop = `i=0; while [ $i -lt 160 ]; do read up _ </proc/uptime; ` +
	`if v=$(grep MemTotal /proc/meminfo 2>/dev/null); then set -- $v; echo "$up ok $2"; else echo "$up fail"; fi; ` +
	`usleep 50000; i=$((i+1)); done; echo end`

// readOutcome is what a readLoop saw: its reads, failures, the longest run
// of failures in seconds and the last MemTotal it read.
type readOutcome struct {
	reads, fails int
	failSpan     float64
	last         int64
}

// parseReads reads the output of readLoop.
func parseReads(t *testing.T, out string) readOutcome {
	t.Helper()
	var o readOutcome
	firstFail := -1.0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		up, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("read loop line %q", line)
		}
		o.reads++
		switch {
		case f[1] == "fail":
			o.fails++
			if firstFail < 0 {
				firstFail = up
			}
		case f[1] == "ok" && len(f) == 3:
			o.last, _ = strconv.ParseInt(f[2], 10, 64)
			if firstFail >= 0 {
				o.failSpan = max(o.failSpan, up-firstFail)
				firstFail = -1
			}
		}
	}
	if firstFail >= 0 {
		o.failSpan = 1e9
	}
	return o
}

// runReadLoop starts readLoop in login's guest, calls during after a second,
// waits for the loop to end and returns what it saw.
func (d *daemon) runReadLoop(t *testing.T, login string, during func()) readOutcome {
	t.Helper()
	d.mustSSH(t, login, "rm -f /tmp/reads; nohup sh -c '"+readLoop+"' >/tmp/reads 2>&1 </dev/null &")
	time.Sleep(time.Second)
	during()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := d.mustSSH(t, login, "cat /tmp/reads")
		if strings.HasSuffix(out, "end\n") {
			return parseReads(t, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read loop in %s's guest did not end: %q", login, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestViewServerRestart kills the daemon's lxcfs while a guest reads
// /proc/meminfo in a loop: reads fail at most briefly and then show the
// guest's memory again, in the running guest and in one started while
// lxcfs was down. Then it kills the daemon with SIGKILL: guests keep their
// view, the next daemon adopts the same lxcfs, and restarts it when it dies.
func TestViewServerRestart(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	pid, start := waitViewServer(t, d.runDir, 0)

	o := d.runReadLoop(t, "alice", func() {
		if err := killProcess(pid, start, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		pid, start = waitViewServer(t, d.runDir, pid)
	})
	t.Logf("reads while lxcfs was killed: %+v", o)
	if o.failSpan > 3 || o.last <= 0 || o.last > 256<<10 || o.reads < 100 {
		t.Errorf("reads of alice's /proc/meminfo around a kill of lxcfs: %+v; want failures for at most 3s, then MemTotal at most 256MiB", o)
	}
	mounts := d.mustSSH(t, "alice", "cat /proc/self/mountinfo")
	if line := mountLineAt(mounts, "/proc/meminfo"); !strings.Contains(line, " ro,nosuid,nodev,noexec") || !strings.Contains(line, "fuse.lxcfs") {
		t.Errorf("alice's /proc/meminfo after a restart of lxcfs is mounted as %q, want lxcfs's, ro, nosuid, nodev, noexec", line)
	}
	if n := strings.Count(mounts, " /proc/meminfo "); n != 1 {
		t.Errorf("%d mounts on alice's /proc/meminfo after a restart of lxcfs, want 1 (the dead one taken away)", n)
	}

	d.kill9(t)
	if got := memTotalInside(t, d.initOf(t, "alice").InitPID); got <= 0 || got > 256<<10 {
		t.Errorf("MemTotal in alice's guest = %d KiB with the daemon killed, want at most 256MiB", got)
	}
	d.start(t)
	if again, _ := waitViewServer(t, d.runDir, 0); again != pid {
		t.Errorf("after a daemon restart lxcfs is %d, want the adopted %d", again, pid)
	}
	if got := d.guestMemTotalKiB(t, "alice"); got <= 0 || got > 256<<10 {
		t.Errorf("MemTotal in alice's guest = %d KiB after a daemon restart, want at most 256MiB", got)
	}
	o = d.runReadLoop(t, "alice", func() {
		if err := killProcess(pid, start, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		waitViewServer(t, d.runDir, pid)
	})
	if o.failSpan > 3 || o.last <= 0 || o.last > 256<<10 {
		t.Errorf("reads of alice's /proc/meminfo around a kill of the adopted lxcfs: %+v; want failures for at most 3s, then MemTotal at most 256MiB", o)
	}
}

// viewDebianImage is a minimal Debian, whose procps (free, top) reads
// /proc/meminfo.
const viewDebianImage = "{source: debootstrap, suite: bookworm, variant: minbase, include: [procps]}"

// TestViewDebian checks procps in a Debian guest with 256MiB: `free -m`
// shows a total of at most 256, `top` as much, and its swap line none.
func TestViewDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireLXCFS(t)
	requireDebootstrap(t)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	text := replaceOnce(t, d.cfg.yaml(), "\ndefaults:\n", "\ndefaults:\n"+viewConfig)
	d.writeConfig(t, withImage(t, text, "debian", viewDebianImage, "bob"))
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	waitViewServer(t, d.runDir, 0)

	out := d.mustSSH(t, "bob", "free -m")
	fields := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			fields[f[0]] = f[1:]
		}
	}
	if total, err := strconv.Atoi(viewFirst(fields["Mem:"])); err != nil || total <= 0 || total > 256 {
		t.Errorf("free -m in bob's Debian guest: total %q, want at most 256:\n%s", viewFirst(fields["Mem:"]), out)
	}
	if swap := viewFirst(fields["Swap:"]); swap != "0" {
		t.Errorf("free -m in bob's Debian guest: swap total %q, want 0 (swap limit = memory):\n%s", swap, out)
	}
	top := d.mustSSH(t, "bob", "top -b -n 1 -E m | grep '^MiB Mem'")
	if f := strings.Fields(top); len(f) < 4 || !strings.HasPrefix(f[3], "256") && !strings.HasPrefix(f[3], "25") {
		t.Errorf("top -b -n1 in bob's Debian guest: %q, want a total of 256 MiB", top)
	}
}

// viewFirst is the first of list, "" for none.
func viewFirst(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// TestViewGuestStartedWhileDown kills the daemon's lxcfs again and again
// until the daemon waits seconds before the next start, starts bob's guest
// in that wait, and checks that it starts with the kernel's files and gets
// its own view once lxcfs is back.
func TestViewGuestStartedWhileDown(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	// After a stable run the daemon restarts lxcfs at once; each quick end
	// after that doubles the wait from 0.5s: the fifth kill leaves 4s.
	pid := 0
	var killed time.Time
	for i := 0; i < 5; i++ {
		var start uint64
		pid, start = waitViewServer(t, d.runDir, pid)
		if err := killProcess(pid, start, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		killed = time.Now()
	}
	d.mustSSH(t, "bob", "true")
	got := memTotalInside(t, d.initOf(t, "bob").InitPID)
	if again, _ := viewServer(d.runDir); again != 0 {
		t.Skipf("skipping: lxcfs was back %v after the last kill, before bob's guest started and read its files", time.Since(killed))
	}
	if host := hostMemTotalKiB(t); got != host {
		t.Errorf("MemTotal in bob's guest, started while lxcfs was down = %d KiB, want the kernel's %d", got, host)
	}
	waitViewServer(t, d.runDir, pid)
	poll(t, 5*time.Second, "bob's guest gets its view once lxcfs is back", func() bool {
		n := memTotalInside(t, d.initOf(t, "bob").InitPID)
		return n > 0 && n <= 256<<10
	})
}
