package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// feelsConfig gives every guest 256MiB and one CPU, as issue 19's tests
// ask.
const feelsConfig = "  limits: {memory: 256MiB, cpus: 1}\n"

// newFeelsDaemon starts a daemon whose guests have the limits of
// feelsConfig, with the image of the config, and alice's and bob's guests
// running.
func newFeelsDaemon(t *testing.T, edit func(string) string) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	text := d.cfg.yaml()
	if edit != nil {
		text = edit(text)
	}
	if !strings.Contains(text, "\ndefaults:\n") {
		t.Fatalf("no defaults: section in the test config:\n%s", text)
	}
	d.writeConfig(t, strings.Replace(text, "\ndefaults:\n", "\ndefaults:\n"+feelsConfig, 1))
	return d
}

// hostUptime reads the host's uptime.
func hostUptime(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	return parseUptime(t, string(b))
}

// parseUptime reads the first field of /proc/uptime.
func parseUptime(t *testing.T, s string) time.Duration {
	t.Helper()
	f := strings.Fields(s)
	if len(f) < 1 {
		t.Fatalf("no uptime in %q", s)
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		t.Fatalf("reading the uptime %q: %v", s, err)
	}
	return time.Duration(secs * float64(time.Second))
}

// freeTotalMiB reads the total of the Mem: line of free -m: the column
// under the header's right-aligned "total", since busybox's wide numbers
// can run into each other (a "used" below zero, when /proc/meminfo's
// Cached is the host's, prints as a huge number).
func freeTotalMiB(t *testing.T, out string) int {
	t.Helper()
	lines := strings.Split(out, "\n")
	end := strings.Index(lines[0], "total") + len("total")
	for _, line := range lines[1:] {
		if strings.HasPrefix(line, "Mem:") && end > len("total") && len(line) >= end {
			n, err := strconv.Atoi(strings.TrimSpace(line[len("Mem:"):end]))
			if err != nil {
				t.Fatalf("free -m: no total under the header's:\n%s", out)
			}
			return n
		}
	}
	t.Fatalf("free -m has no Mem: line under a header with total:\n%s", out)
	return 0
}

// allowedCPUs is what Cpus_allowed_list says inside login's guest.
func (d *daemon) allowedCPUs(t *testing.T, login string) string {
	t.Helper()
	out := d.mustSSH(t, login, "grep Cpus_allowed_list /proc/self/status")
	_, v, _ := strings.Cut(out, ":")
	return strings.TrimSpace(v)
}

// TestFeelsBusybox checks what a busybox guest with 256MiB and one CPU
// sees of its machine: its uptime counts from its restart (time
// namespace, and sysinfo for busybox uptime), busybox free shows its
// memory limit (sysinfo answered by the init) and follows a live limits
// change at once, nproc says 1 (cpuset), and two guests with one CPU each
// run on different CPUs.
func TestFeelsBusybox(t *testing.T) {
	t.Parallel()
	d := newFeelsDaemon(t, nil)
	d.start(t)
	started := time.Now()
	d.mustSSH(t, "bob", "true")
	d.mustSSH(t, "alice", "true")

	checkFreshClock(t, d, "alice")

	if got := d.mustSSH(t, "alice", "nproc"); got != "1\n" {
		t.Errorf("nproc in a guest with cpus 1 = %q, want 1", got)
	}
	free := d.mustSSH(t, "alice", "free -m")
	if total := freeTotalMiB(t, free); total > 256 || total < 200 {
		t.Errorf("busybox free -m in a guest with 256MiB says a total of %d MiB:\n%s", total, free)
	}
	d.mustAdmin(t, "guest", "limits", "alice", "--memory", "128MiB")
	free = d.mustSSH(t, "alice", "free -m")
	if total := freeTotalMiB(t, free); total > 128 || total < 100 {
		t.Errorf("busybox free -m right after a live change to 128MiB says a total of %d MiB:\n%s", total, free)
	}

	checkApart(t, d, "after alice's restart")

	// Across a daemon restart the guests keep their clocks and their init
	// answers sysinfo; the daemon reads the pins back from the cgroups, so
	// alice restarted again still keeps off bob's CPU (bob started first,
	// on the first CPU, which a daemon that forgot would give alice).
	d.stop(t)
	d.start(t)
	if up := parseUptime(t, d.mustSSH(t, "bob", "cat /proc/uptime")); up >= hostUptime(t) || up > time.Since(started) {
		t.Errorf("after a daemon restart, bob's /proc/uptime says %v: want the guest's own", up)
	}
	if total := freeTotalMiB(t, d.mustSSH(t, "bob", "free -m")); total > 256 {
		t.Errorf("after a daemon restart, bob's free -m says a total of %d MiB, want at most 256", total)
	}
	d.mustAdmin(t, "guest", "restart", "alice")
	checkApart(t, d, "after a daemon restart and alice's restart")
}

// checkFreshClock restarts login's guest and checks that its clocks count
// from then: /proc/uptime (time namespace), busybox uptime (sysinfo), and
// the start times of PID 1 and of a new process in clock ticks since the
// guest's boot (ps's START).
func checkFreshClock(t *testing.T, d *daemon, login string) {
	t.Helper()
	hostBefore := hostUptime(t)
	restarted := time.Now()
	d.mustAdmin(t, "guest", "restart", login)
	out := d.mustSSH(t, login, "cat /proc/uptime; echo --; uptime; echo --; cut -d' ' -f22 /proc/1/stat /proc/self/stat")
	sinceRestart := time.Since(restarted)
	parts := strings.Split(out, "--\n")
	if len(parts) != 3 {
		t.Fatalf("%s's uptimes and start times: %q", login, out)
	}
	guestUp, hostNow := parseUptime(t, parts[0]), hostUptime(t)
	t.Logf("host up %v before the restart; %s up %v, %v after the restart began", hostBefore, login, guestUp, sinceRestart)
	if guestUp > sinceRestart+time.Second || hostNow <= guestUp {
		t.Errorf("/proc/uptime in %s's guest says %v, %v after its restart began, with the host up %v: want the guest's own uptime", login, guestUp, sinceRestart, hostNow)
	}
	if hostBefore < time.Minute {
		t.Logf("the host itself is up less than a minute: the check rests on the time since the restart")
	}
	if !regexp.MustCompile(`up [01] min`).MatchString(parts[1]) {
		t.Errorf("busybox uptime (sysinfo) in %s's guest = %q, want up 0 or 1 min", login, parts[1])
	}
	starts := strings.Fields(parts[2])
	if len(starts) != 2 {
		t.Fatalf("start times of PID 1 and cut: %q", parts[2])
	}
	init, _ := strconv.Atoi(starts[0])
	cut, _ := strconv.Atoi(starts[1])
	if ticks := int(guestUp/(10*time.Millisecond)) + 1; init != 0 || cut < 0 || cut > ticks {
		t.Errorf("inside, PID 1 started at tick %s and cut at %s, with the guest up %v: want 0 and a tick within the uptime", starts[0], starts[1], guestUp)
	}
}

// checkApart fails the test unless alice and bob each run on one CPU, not
// the same, on a host with two CPUs or more.
func checkApart(t *testing.T, d *daemon, when string) {
	t.Helper()
	a, b := d.allowedCPUs(t, "alice"), d.allowedCPUs(t, "bob")
	if hostCPUs := strings.Count(cpuList(t), ",") + 1; hostCPUs >= 2 && (a == b || strings.ContainsAny(a, ",-") || strings.ContainsAny(b, ",-")) {
		t.Errorf("%s, alice runs on CPUs %q and bob on %q: want one CPU each, different ones", when, a, b)
	}
}

// cpuList is the host's online CPUs, one per element, comma-separated.
func cpuList(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatal(err)
	}
	var cpus []string
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			cpus = append(cpus, lo)
			continue
		}
		a, _ := strconv.Atoi(lo)
		z, _ := strconv.Atoi(hi)
		for c := a; c <= z; c++ {
			cpus = append(cpus, strconv.Itoa(c))
		}
	}
	return strings.Join(cpus, ",")
}

// TestFeelsSysinfo checks sysinfo(2) as the guest's init answers it, from
// a static program: the guest's memory limit and uptime, its own process
// count, and EFAULT for addresses it cannot write, as the kernel would.
// Then alice floods sysinfo from every CPU she has while bob logs in: the
// log shows bob's login times before and during the flood (no timing
// assertion), and alice's init still answers afterwards.
func TestFeelsSysinfo(t *testing.T) {
	t.Parallel()
	d := newFeelsDaemon(t, nil)
	d.start(t)
	d.mustSSH(t, "bob", "true")
	d.uploadAttacker(t, "alice")
	facts := d.attack(t, "alice", "sysinfo")
	total, _ := strconv.ParseUint(facts["totalram"], 10, 64)
	free, _ := strconv.ParseUint(facts["freeram"], 10, 64)
	uptime, _ := strconv.Atoi(facts["uptime"])
	procs, _ := strconv.Atoi(facts["procs"])
	if total != 256<<20 || free == 0 || free >= total {
		t.Errorf("sysinfo in alice's guest: totalram %s, freeram %s; want 256MiB and less free", facts["totalram"], facts["freeram"])
	}
	if host := hostUptime(t); time.Duration(uptime)*time.Second >= host || uptime > 300 {
		t.Errorf("sysinfo in alice's guest: uptime %ds, host up %v: want the guest's own", uptime, host)
	}
	if procs < 2 || procs > 50 {
		t.Errorf("sysinfo in alice's guest: %d processes, want the guest's own few", procs)
	}
	if facts["null"] != "EFAULT" || facts["unmapped"] != "EFAULT" {
		t.Errorf("sysinfo to a null or unmapped address: %q and %q, want EFAULT for both", facts["null"], facts["unmapped"])
	}

	pid := d.initOf(t, "alice").InitPID
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	rollup, _ := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	t.Logf("alice's init: %s, %s", statusFields(string(status), "VmRSS", "Threads"),
		statusFields(string(rollup), "Pss", "Private_Dirty"))
	var before []time.Duration
	for range 3 {
		before = append(before, d.timedLogin(t, "bob"))
	}
	flood := d.attackInBackground(t, "alice", "sysinfo-flood", "6")
	time.Sleep(time.Second)
	var during []time.Duration
	for range 3 {
		during = append(during, d.timedLogin(t, "bob"))
	}
	got := <-flood
	t.Logf("bob's logins before alice's sysinfo flood: %v; during it: %v; alice made %s sysinfo calls (%s a second)",
		before, during, got["calls"], got["per_second"])
	if n, _ := strconv.Atoi(got["calls"]); n < 1 {
		t.Errorf("the flood made no sysinfo call: %v", got)
	}
	if after := d.attack(t, "alice", "sysinfo"); after["totalram"] != facts["totalram"] {
		t.Errorf("after the flood, alice's sysinfo says totalram %q, want %q", after["totalram"], facts["totalram"])
	}
}

// TestFeelsDebian checks a Debian guest with 256MiB and one CPU: nproc
// and python's os.sched_getaffinity say 1 (cpuset); procps uptime counts
// from the guest's start and ps shows PID 1 started then (time
// namespace). os.cpu_count() and getconf _NPROCESSORS_ONLN read
// /sys/devices/system/cpu, the view server's: logged, not checked.
func TestFeelsDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireDebootstrap(t)
	t.Parallel()
	d := newFeelsDaemon(t, func(text string) string {
		return withImage(t, text, "debian", debianTarImage(t), "bob")
	})
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	d.mustSSH(t, "bob", "true")
	restarted := time.Now()
	d.mustAdmin(t, "guest", "restart", "bob")
	out := d.mustSSH(t, "bob", `nproc; python3 -c 'import os; print(len(os.sched_getaffinity(0)))'; cut -d' ' -f1 /proc/uptime; ps -o etimes= -p 1; uptime`)
	since := time.Since(restarted)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("bob's nproc, python3, uptime and ps: %q", out)
	}
	if lines[0] != "1" || lines[1] != "1" {
		t.Errorf("in a Debian guest with cpus 1, nproc = %q and python3's sched_getaffinity has %q CPUs; want 1 and 1", lines[0], lines[1])
	}
	up := parseUptime(t, lines[2])
	etime, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil || up > since+time.Second || up >= hostUptime(t) || time.Duration(etime)*time.Second > since+time.Second {
		t.Errorf("bob's guest, %v after its restart began: /proc/uptime %v, ps says PID 1 runs for %q s; want both within that time", since, up, lines[3])
	}
	if !regexp.MustCompile(`up [01] min`).MatchString(lines[4]) {
		t.Errorf("procps uptime in bob's guest = %q, want up 0 or 1 min", lines[4])
	}
	// ps's START adds a process's start time, in the guest's clock, to the
	// boot time of /proc/stat's btime, which the kernel moves by the time
	// namespace's offset: PID 1 started about when the restart was asked.
	lstart := strings.TrimSpace(d.mustSSH(t, "bob", "TZ=UTC ps -o lstart= -p 1"))
	when, err := time.Parse("Mon Jan _2 15:04:05 2006", strings.Join(strings.Fields(lstart), " "))
	if err != nil {
		when, err = time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(strings.Fields(lstart), " "))
	}
	if err != nil || when.Before(restarted.Add(-2*time.Second)) || when.After(time.Now().Add(2*time.Second)) {
		t.Errorf("ps says bob's PID 1 started %q (%v), want about %v (the restart)", lstart, err, restarted.UTC().Format(time.ANSIC))
	}
	t.Logf("bob's os.cpu_count(), getconf _NPROCESSORS_ONLN (the view's /sys): %q",
		d.mustSSH(t, "bob", `python3 -c 'import os; print(os.cpu_count())'; getconf _NPROCESSORS_ONLN`))
}

// statusFields picks fields of a /proc/PID/status.
func statusFields(status string, names ...string) string {
	var out []string
	for _, line := range strings.Split(status, "\n") {
		for _, n := range names {
			if v, ok := strings.CutPrefix(line, n+":"); ok {
				out = append(out, n+" "+strings.TrimSpace(v))
			}
		}
	}
	return strings.Join(out, ", ")
}
