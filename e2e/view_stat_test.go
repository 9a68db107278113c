package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitStatServer waits until the daemon's /proc/stat server runs and is
// not the process not (0 for any), and returns its pid and start time.
func waitStatServer(t testing.TB, runDir string, not int) (int, uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pid, start := viewServerNamed(runDir, "stat")
		if pid != 0 && pid != not {
			return pid, start
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /proc/stat server (other than %d) runs under %s", not, runDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statField returns the fields after name on the line of /proc/stat text
// that starts with it.
func statField(text, name string) []string {
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return f[1:]
		}
	}
	return nil
}

// statInt is the first number after name in /proc/stat text; -1 if none.
func statInt(text, name string) int64 {
	f := statField(text, name)
	if len(f) == 0 {
		return -1
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// cpuBusy is user plus system of the "cpu" line, in ticks; -1 if none.
func cpuBusy(text string) int64 {
	f := statField(text, "cpu")
	if len(f) < 4 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[0], 10, 64)
	s, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + s
}

// hostBtime is the host's btime.
func hostBtime(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	return statInt(string(b), "btime")
}

// guestStart is when the init of guest started, in seconds since the
// epoch, from the host's btime and the init's start time.
func (d *daemon) guestStart(t *testing.T, guest string) float64 {
	t.Helper()
	st, err := readStat(d.initOf(t, guest).InitPID)
	if err != nil {
		t.Fatal(err)
	}
	return float64(hostBtime(t)) + float64(st.startTime)/100
}

// TestViewStatBusybox checks /proc/stat in a busybox guest with one CPU:
// the daemon's own server's file, read-only; one cpuN line; btime at the
// guest's start (not the host's boot), so that a process's start time
// added to it is when it started; CPU time that grows as the guest burns
// CPU; busybox top reads it; a nested `unshare --mount-proc` gets the
// kernel's; the host reading the server's file gets EACCES.
func TestViewStatBusybox(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	waitStatServer(t, d.runDir, 0)
	d.ensureOwnCpuset(t, "alice", d.initOf(t, "alice").InitPID)

	t.Run("Mount", func(t *testing.T) {
		line := mountLineAt(d.mustSSH(t, "alice", "cat /proc/self/mountinfo"), "/proc/stat")
		if !strings.Contains(line, " - fuse.vmhost-stat ") || !strings.Contains(line, " ro,nosuid,nodev,noexec") {
			t.Errorf("alice's /proc/stat is mounted as %q, want the daemon's fuse.vmhost-stat, ro, nosuid, nodev, noexec", line)
		}
		if out, _, code := d.ssh(t, "alice", "echo 0 > /proc/stat"); code == 0 {
			t.Errorf("echo 0 > /proc/stat in alice's guest succeeded (%q)", out)
		}
	})
	t.Run("CPUs", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "cat /proc/stat")
		n := len(regexp.MustCompile(`(?m)^cpu[0-9]+ `).FindAllString(out, -1))
		if n != 1 || len(statField(out, "cpu0")) != 10 {
			t.Errorf("alice's /proc/stat with cpus 1 has %d cpuN lines, want 1 (cpu0, 10 numbers):\n%s", n, out)
		}
		for _, name := range []string{"intr", "ctxt", "processes", "procs_running", "procs_blocked", "softirq"} {
			if statInt(out, name) < 0 {
				t.Errorf("no %s line in alice's /proc/stat:\n%s", name, out)
			}
		}
	})
	t.Run("Btime", func(t *testing.T) {
		start := d.guestStart(t, "alice")
		out := d.mustSSH(t, "alice", `awk '/^btime/ {print $2}' /proc/stat`)
		btime, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
		if err != nil || float64(btime) < start-3 || float64(btime) > start+3 || btime == hostBtime(t) {
			t.Errorf("btime in alice's guest = %q, want the guest's start %.0f within 3s (the host's is %d)", out, start, hostBtime(t))
		}
		// What ps computes: btime plus the process's start time (field 22,
		// in the guest's clock) is when it started; and btime plus the
		// uptime is now.
		now := time.Now()
		out = d.mustSSH(t, "alice", `sleep 30 & p=$!; b=$(awk '/^btime/ {print $2}' /proc/stat); `+
			`s=$(cut -d')' -f2 /proc/$p/stat | awk '{print $20}'); u=$(cut -d' ' -f1 /proc/uptime); kill $p; echo $b $s $u`)
		f := strings.Fields(out)
		if len(f) != 3 {
			t.Fatalf("btime, start and uptime in alice's guest: %q", out)
		}
		b, _ := strconv.ParseFloat(f[0], 64)
		s, _ := strconv.ParseFloat(f[1], 64)
		u, _ := strconv.ParseFloat(f[2], 64)
		started, up := b+s/100, b+u
		wall := float64(now.UnixNano()) / 1e9
		if started < start || started < wall-3 || started > wall+3 || up < wall-3 || up > wall+3 {
			t.Errorf("alice's sleep started at btime+start %.1f, and btime+uptime is %.1f; want both about now (%.1f), after the guest's start %.1f", started, up, wall, start)
		}
	})
	t.Run("CPUTime", func(t *testing.T) {
		out := d.mustSSH(t, "alice", `cat /proc/stat; echo ===; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; cat /proc/stat`)
		before, after, _ := strings.Cut(out, "===\n")
		if b, a := cpuBusy(before), cpuBusy(after); b < 0 || a <= b {
			t.Errorf("user+system of alice's cpu line: %d, then %d after burning CPU; want it to grow", b, a)
		}
		top := d.mustSSH(t, "alice", "top -bn1 | grep '^CPU:'")
		if !regexp.MustCompile(`^CPU: +[0-9.]+% usr +[0-9.]+% sys .*idle`).MatchString(top) {
			t.Errorf("busybox top -bn1 in alice's guest: %q, want its CPU line", top)
		}
	})
	t.Run("NestedMountProc", func(t *testing.T) {
		out := d.mustSSH(t, "alice", "unshare -m -p -f --mount-proc grep -c '^cpu' /proc/stat")
		host, _ := os.ReadFile("/proc/stat")
		want := len(regexp.MustCompile(`(?m)^cpu`).FindAll(host, -1))
		if strings.TrimSpace(out) != strconv.Itoa(want) {
			t.Errorf("cpu lines of /proc/stat after unshare --mount-proc in alice's guest: %q, want the kernel's %d", out, want)
		}
	})
	t.Run("HostReader", func(t *testing.T) {
		_, err := os.ReadFile(filepath.Join(d.runDir, "view", "stat", "alice", "proc", "stat"))
		if !errors.Is(err, unix.EACCES) {
			t.Errorf("the host reading the server's /proc/stat: %v, want EACCES (no guest's numbers)", err)
		}
		pid, _ := viewServerNamed(d.runDir, "stat")
		status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		t.Logf("the /proc/stat server: %s", statusFields(string(status), "VmRSS", "RssAnon", "Threads"))
	})
}

// statReadLoop is a shell loop, run in the background in a guest, that
// counts the cpu lines of /proc/stat every 50ms for 8 seconds and writes a
// line per read to /tmp/reads: the uptime and "ok N" or "fail", then "end".
const statReadLoop = `i=0; while [ $i -lt 160 ]; do read up _ </proc/uptime; ` +
	`if n=$(grep -c ^cpu /proc/stat 2>/dev/null); then echo "$up ok $n"; else echo "$up fail"; fi; ` +
	`usleep 50000; i=$((i+1)); done; echo end`

// runStatReadLoop starts statReadLoop in login's guest, calls during after
// a second, waits for the loop to end and returns what it saw.
func (d *daemon) runStatReadLoop(t *testing.T, login string, during func()) readOutcome {
	t.Helper()
	d.mustSSH(t, login, "rm -f /tmp/reads; nohup sh -c '"+statReadLoop+"' >/tmp/reads 2>&1 </dev/null &")
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

// TestViewStatServerRestart kills the /proc/stat server with SIGKILL while
// a guest reads /proc/stat in a loop: reads fail at most briefly, then show
// the guest's one CPU again. Then it kills the daemon: the next one adopts
// the same server.
func TestViewStatServerRestart(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	d.ensureOwnCpuset(t, "alice", d.initOf(t, "alice").InitPID)
	pid, start := waitStatServer(t, d.runDir, 0)
	o := d.runStatReadLoop(t, "alice", func() {
		if err := killProcess(pid, start, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		pid, start = waitStatServer(t, d.runDir, pid)
	})
	t.Logf("reads while the /proc/stat server was killed: %+v", o)
	if o.failSpan > 3 || o.last != 2 || o.reads < 100 {
		t.Errorf("reads of alice's /proc/stat around a kill of its server: %+v; want failures for at most 3s, then 2 cpu lines", o)
	}
	if n := strings.Count(d.mustSSH(t, "alice", "cat /proc/self/mountinfo"), " /proc/stat "); n != 1 {
		t.Errorf("%d mounts on alice's /proc/stat after a restart of its server, want 1", n)
	}
	d.kill9(t)
	d.start(t)
	if again, _ := waitStatServer(t, d.runDir, 0); again != pid {
		t.Errorf("after a daemon restart the /proc/stat server is %d, want the adopted %d", again, pid)
	}
	if out := d.mustSSH(t, "alice", "grep -c ^cpu /proc/stat"); strings.TrimSpace(out) != "2" {
		t.Errorf("cpu lines of alice's /proc/stat after a daemon restart: %q, want 2", out)
	}
}

// TestViewStatDebian checks procps in a Debian guest with one CPU: vmstat
// and top read /proc/stat, ps shows a process started in the guest as
// started now and PID 1 as running for the guest's uptime.
func TestViewStatDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireLXCFS(t)
	requireDebootstrap(t)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	text := replaceOnce(t, d.cfg.yaml(), "\ndefaults:\n", "\ndefaults:\n"+viewConfig)
	d.writeConfig(t, withImage(t, text, "debian", debianTarImage(t), "bob"))
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	waitStatServer(t, d.runDir, 0)
	d.mustSSH(t, "bob", "true")
	d.ensureOwnCpuset(t, "bob", d.initOf(t, "bob").InitPID)

	vm := strings.Split(strings.TrimSpace(d.mustSSH(t, "bob", "vmstat 1 2")), "\n")
	last := strings.Fields(vm[len(vm)-1])
	if len(vm) != 4 || len(last) != 17 {
		t.Fatalf("vmstat 1 2 in bob's Debian guest:\n%s", strings.Join(vm, "\n"))
	}
	sum := 0
	for _, f := range last[12:17] { // us sy id wa st
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("vmstat 1 2: %q", vm[3])
		}
		sum += n
	}
	if sum < 98 || sum > 102 {
		t.Errorf("vmstat 1 2 in bob's guest: us+sy+id+wa+st = %d, want 100:\n%s", sum, strings.Join(vm, "\n"))
	}
	top := d.mustSSH(t, "bob", "top -bn1 | grep '^%Cpu'")
	if !regexp.MustCompile(`^%Cpu\(s\): +[0-9.]+ us, +[0-9.]+ sy, .* id,`).MatchString(top) {
		t.Errorf("top -bn1 in bob's guest: %q, want its %%Cpu(s) line", top)
	}

	start := d.guestStart(t, "bob")
	now := time.Now()
	out := d.mustSSH(t, "bob", `sleep 30 & p=$!; TZ=UTC ps -o lstart= -p $p; kill $p; ps -o etimes= -p 1; cut -d' ' -f1 /proc/uptime`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("ps and uptime in bob's guest: %q", out)
	}
	when, err := time.Parse("Mon Jan _2 15:04:05 2006", strings.Join(strings.Fields(lines[0]), " "))
	if err != nil {
		when, err = time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(strings.Fields(lines[0]), " "))
	}
	if err != nil || float64(when.Unix()) < start-1 || when.Before(now.Add(-3*time.Second)) || when.After(time.Now().Add(3*time.Second)) {
		t.Errorf("ps says bob's sleep started %q (%v), want about %v, after the guest's start", lines[0], err, now.UTC().Format(time.ANSIC))
	}
	etime, err1 := strconv.ParseFloat(strings.TrimSpace(lines[1]), 64)
	up, err2 := strconv.ParseFloat(lines[2], 64)
	if err1 != nil || err2 != nil || etime < up-2 || etime > up+2 {
		t.Errorf("ps says bob's PID 1 runs for %q s, /proc/uptime says %q; want them to agree", lines[1], lines[2])
	}
}

// TestViewStatFlood has alice's root read /proc/stat from 32 threads, one
// byte at a time and at odd offsets, and hold as many files open as she
// can, while bob reads his: bob's reads stay his and answer, the server
// holds alice to 1024 open files and stays small, and alice's file still
// works afterwards.
func TestViewStatFlood(t *testing.T) {
	requireLXCFS(t)
	t.Parallel()
	d := newViewDaemon(t)
	d.mustSSH(t, "bob", "true")
	d.ensureOwnCpuset(t, "bob", d.initOf(t, "bob").InitPID)
	d.uploadAttacker(t, "alice")
	flood := d.attackInBackground(t, "alice", "stat-flood", "6", "32")
	time.Sleep(2 * time.Second)
	var slowest time.Duration
	for range 5 {
		start := time.Now()
		out := d.mustSSH(t, "bob", "grep -c '^cpu' /proc/stat")
		slowest = max(slowest, time.Since(start))
		if strings.TrimSpace(out) != "2" {
			t.Errorf("cpu lines of bob's /proc/stat during alice's flood: %q, want 2 (his own)", out)
		}
	}
	got := <-flood
	pid, _ := viewServerNamed(d.runDir, "stat")
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	t.Logf("alice's flood: %v; bob's slowest login and read during it: %v; the server after: %s", got, slowest,
		statusFields(string(status), "VmRSS", "RssAnon", "Threads"))
	if got["held_open"] != "1024" {
		t.Errorf("alice held %s files of /proc/stat open at once, want the server's bound, 1024", got["held_open"])
	}
	if slowest > 5*time.Second {
		t.Errorf("bob's login and read of /proc/stat took %v during alice's flood, want under 5s", slowest)
	}
	if out := d.mustSSH(t, "alice", "grep -c '^cpu' /proc/stat"); strings.TrimSpace(out) != "2" {
		t.Errorf("alice's /proc/stat after her flood: %q cpu lines, want 2", out)
	}
}
