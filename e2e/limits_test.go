package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitsConfig gives every guest small limits: 64MiB without swap, half a
// CPU and 64 processes.
const limitsConfig = "  limits: {memory: 64MiB, swap: 64MiB, cpus: 0.5, pids: 64}\n"

// newLimitsDaemon starts a daemon whose guests have the limits of
// limitsConfig, with alice's and bob's guests running.
func newLimitsDaemon(t *testing.T) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	text := d.cfg.yaml()
	if !strings.Contains(text, "\ndefaults:\n") {
		t.Fatalf("no defaults: section in the test config:\n%s", text)
	}
	d.writeConfig(t, strings.Replace(text, "\ndefaults:\n", "\ndefaults:\n"+limitsConfig, 1))
	d.start(t)
	for _, u := range []string{"alice", "bob"} {
		if out := d.mustSSH(t, u, "echo up"); out != "up\n" {
			t.Fatalf("ssh %s echo up = %q", u, out)
		}
	}
	return d
}

// removeCgroupParent removes the parent cgroup of the daemon with this
// bridge (vmhost-<bridge>) in every hierarchy, once its guests are gone.
func removeCgroupParent(t testing.TB, bridge string) {
	if bridge == "" {
		return
	}
	mounts, err := readMounts()
	if err != nil {
		t.Errorf("finding cgroup mounts: %v", err)
		return
	}
	for _, m := range mounts {
		if m.root != "/" || (m.fstype != "cgroup" && m.fstype != "cgroup2") {
			continue
		}
		parent := filepath.Join(m.point, "vmhost-"+bridge)
		kids, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		var dirs []string
		for _, k := range kids {
			if k.IsDir() {
				dirs = append(dirs, filepath.Join(parent, k.Name()))
			}
		}
		removeCgroups(t, append(dirs, parent))
	}
}

// initOf returns the pid and start time of the init of guest, from its
// guest.json; it fails the test if the init does not run.
func (d *daemon) initOf(t *testing.T, guest string) guestState {
	t.Helper()
	states, err := guestStates(d.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := states[guest]
	if !ok || !st.running() {
		t.Fatalf("the init of guest %s does not run (%+v)", guest, st)
	}
	return st
}

// cgroupFile returns the path of file in the cgroup of process pid that has
// controller (cgroup1), or in its cgroup2 group when no cgroup1 hierarchy
// has controller.
func cgroupFile(t *testing.T, pid int, controller, file string) string {
	t.Helper()
	paths, err := readCgroups(pid)
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := readMounts()
	if err != nil {
		t.Fatal(err)
	}
	for ctrls, p := range paths {
		if ctrls != "" && containsAll(strings.Split(ctrls, ","), []string{controller}) {
			return filepath.Join(cgroupMount(mounts, ctrls), p, file)
		}
	}
	return filepath.Join(cgroupMount(mounts, ""), paths[""], file)
}

// keyValues reads a cgroup file of "key value" lines.
func keyValues(t *testing.T, path string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			kv[f[0]], _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return kv
}

// poll calls cond until it holds, failing the test after timeout.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkNeighbourAndHost fails the test unless the host starts a process and
// bob's guest answers over SSH.
func checkNeighbourAndHost(t *testing.T, d *daemon, while string) {
	t.Helper()
	if out, err := exec.Command("/bin/sh", "-c", "echo host").Output(); err != nil || string(out) != "host\n" {
		t.Errorf("%s: the host cannot run a shell: %q, %v", while, out, err)
	}
	if out := d.mustSSH(t, "bob", "echo neighbour"); out != "neighbour\n" {
		t.Errorf("%s: bob's guest answered %q, want neighbour", while, out)
	}
}

func TestLimitsGuestSeesCgroupRoot(t *testing.T) {
	d := newLimitsDaemon(t)
	out := d.mustSSH(t, "alice", "cat /proc/self/cgroup")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(line, ":/") {
			t.Errorf("inside the guest /proc/self/cgroup has %q, want every cgroup to be /:\n%s", line, out)
		}
	}
	init := d.initOf(t, "alice")
	host, err := readCgroups(init.InitPID)
	if err != nil {
		t.Fatal(err)
	}
	want := "/vmhost-" + d.cfg.bridge + "/alice"
	found := false
	for ctrls, p := range host {
		found = found || p == want
		if strings.Contains(ctrls, "memory") && p != want {
			t.Errorf("on the host, the init of alice is in memory cgroup %q, want %q", p, want)
		}
	}
	if !found {
		t.Errorf("on the host, the init of alice is in %v, none of them %q", host, want)
	}
}

func TestLimitsForkBomb(t *testing.T) {
	d := newLimitsDaemon(t)
	init := d.initOf(t, "alice")
	events := cgroupFile(t, init.InitPID, "pids", "pids.events")
	out := d.mustSSH(t, "alice", `sh -c 'b(){ b | b & }; b' >/dev/null 2>&1 </dev/null; echo started`)
	if out != "started\n" {
		t.Fatalf("starting the fork bomb: %q", out)
	}
	poll(t, 30*time.Second, "the pids limit refusing a fork", func() bool { return keyValues(t, events)["max"] > 0 })
	t.Logf("fork bomb: pids.events %v", keyValues(t, events))
	if n := readInt(t, cgroupFile(t, init.InitPID, "pids", "pids.current")); n > 64 {
		t.Errorf("pids.current = %d, want at most the limit, 64", n)
	}
	checkNeighbourAndHost(t, d, "during the fork bomb")
	if err := killProcess(init.InitPID, init.InitStart, 10*time.Second); err != nil {
		t.Fatalf("ending the fork bomb by killing alice's init: %v", err)
	}
	if out := d.mustSSH(t, "alice", "echo back"); out != "back\n" {
		t.Errorf("alice after the fork bomb = %q, want back", out)
	}
	checkNeighbourAndHost(t, d, "after the fork bomb")
}

// readInt reads a cgroup file holding one number.
func readInt(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return n
}

func TestLimitsMemoryHog(t *testing.T) {
	d := newLimitsDaemon(t)
	init := d.initOf(t, "alice")
	out := d.mustSSH(t, "alice", "dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo status=$?")
	if out != "status=137\n" {
		t.Errorf("a 200MiB memory hog in a 64MiB guest ended with %q, want status=137 (killed)", out)
	}
	if got := d.initOf(t, "alice"); got != init {
		t.Errorf("alice's init changed from %+v to %+v: the OOM killer took it", init, got)
	}
	if n := oomKills(t, init.InitPID); n < 1 {
		t.Errorf("the guest's cgroup counts %d OOM kills, want at least 1", n)
	}
	if out := d.mustSSH(t, "alice", "echo alive"); out != "alive\n" {
		t.Errorf("alice after the OOM kill = %q, want alive", out)
	}
	checkNeighbourAndHost(t, d, "after the memory hog")
}

// oomKills returns the OOM kills the cgroup of pid counts.
func oomKills(t *testing.T, pid int) int64 {
	t.Helper()
	path := cgroupFile(t, pid, "memory", "memory.oom_control")
	if _, err := os.Stat(path); err != nil {
		path = cgroupFile(t, pid, "memory", "memory.events")
	}
	return keyValues(t, path)["oom_kill"]
}

// cpuCounters are what the kernel counts of a cgroup's CPU bandwidth.
type cpuCounters struct {
	periods, throttled int64
	usage              time.Duration
}

// readCPU reads the CPU counters of the cgroup of pid: cpu.stat and
// cpuacct.usage on cgroup1, cpu.stat on cgroup2.
func readCPU(t *testing.T, pid int) cpuCounters {
	t.Helper()
	stat := keyValues(t, cgroupFile(t, pid, "cpu", "cpu.stat"))
	c := cpuCounters{periods: stat["nr_periods"], throttled: stat["nr_throttled"]}
	if usec, ok := stat["usage_usec"]; ok {
		c.usage = time.Duration(usec) * time.Microsecond
	} else {
		c.usage = time.Duration(readInt(t, cgroupFile(t, pid, "cpuacct", "cpuacct.usage")))
	}
	return c
}

// cpuWindow waits for n CPU periods of the cgroup of pid and returns how
// many passed, how many were throttled and the CPU used per period.
func cpuWindow(t *testing.T, pid int, n int64) (periods, throttled int64, perPeriod time.Duration) {
	t.Helper()
	before := readCPU(t, pid)
	var after cpuCounters
	poll(t, 30*time.Second, "CPU periods of the hogs", func() bool {
		after = readCPU(t, pid)
		return after.periods-before.periods >= n
	})
	periods, throttled = after.periods-before.periods, after.throttled-before.throttled
	return periods, throttled, (after.usage - before.usage) / time.Duration(periods)
}

func TestLimitsCPUQuota(t *testing.T) {
	d := newLimitsDaemon(t)
	init := d.initOf(t, "alice")
	out := d.mustSSH(t, "alice", `for i in 1 2; do sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null & done; echo started`)
	if out != "started\n" {
		t.Fatalf("starting the CPU hogs: %q", out)
	}
	// On a busy machine the hogs may not even get their quota, and then are
	// not throttled: measure windows of 40 periods until one where they got
	// most of it. In every window they must not get more than the quota.
	quota := 50 * time.Millisecond
	for window := 1; ; window++ {
		periods, throttled, perPeriod := cpuWindow(t, init.InitPID, 40)
		t.Logf("window %d: two CPU hogs with cpus 0.5: %d periods, %d throttled, %v of CPU per 100ms period", window, periods, throttled, perPeriod)
		if perPeriod > quota*115/100 {
			t.Fatalf("the hogs got %v of CPU per period, more than the quota, %v", perPeriod, quota)
		}
		// Pinned to one CPU (cpus 0.5 runs on ceil(0.5) CPUs) that other
		// work shares, the hogs may miss the quota in some periods: judge
		// the throttling in windows where they got nearly all of it.
		if perPeriod >= quota*9/10 {
			if throttled < periods/2 {
				t.Errorf("throttled in %d of %d periods, want most: two hogs want their whole CPU, the quota is half of one", throttled, periods)
			}
			break
		}
		if window == 5 {
			t.Logf("the machine was too busy for the hogs to reach their quota in %d windows; only the upper bound was checked", window)
			break
		}
	}
	checkNeighbourAndHost(t, d, "during the CPU hogs")
}
