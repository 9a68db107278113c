package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLimitsSmallCPUStartsFast checks that a guest with a tiny CPU quota
// (cpus 0.01, 1ms of CPU per 100ms) starts as fast as any: its init's setup
// is the daemon's work and runs before the quota applies (under it, the
// start took 4-5 s); once the guest runs, its programs get the quota.
func TestLimitsSmallCPUStartsFast(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	text := d.cfg.yaml()
	if !strings.Contains(text, "\ndefaults:\n") {
		t.Fatalf("no defaults: section in the test config:\n%s", text)
	}
	d.writeConfig(t, strings.Replace(text, "\ndefaults:\n", "\ndefaults:\n  limits: {cpus: 0.01}\n", 1))
	d.start(t)
	t0 := time.Now()
	if out := d.mustSSH(t, "alice", "echo up"); out != "up\n" {
		t.Fatalf("ssh alice echo up = %q", out)
	}
	// The login's own work in the guest (its session) runs under the
	// quota: only the start is judged.
	t.Logf("the first login to a guest with cpus 0.01 took %v", time.Since(t0))
	// Generous: a loaded machine slows the start, never by seconds.
	if took := startTook(t, d.log(), "alice"); took > time.Second {
		t.Errorf("starting a guest with cpus 0.01 took %v, want under 1s", took)
	}
	init := d.initOf(t, "alice")
	before := readCPU(t, init.InitPID)
	out := d.mustSSH(t, "alice", `sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null & echo started`)
	if out != "started\n" {
		t.Fatalf("starting a CPU hog: %q", out)
	}
	time.Sleep(time.Second)
	after := readCPU(t, init.InitPID)
	t.Logf("a CPU hog in it used %v of CPU in 1s", after.usage-before.usage)
	// 1ms a period, 10 periods: 10ms; the login's own work and a period
	// more of slack stay far below a second of an unlimited hog.
	if used := after.usage - before.usage; used > 100*time.Millisecond {
		t.Errorf("a CPU hog in a guest with cpus 0.01 used %v of CPU in 1s, want at most 100ms: the quota must hold once the guest runs", used)
	}
}

// startTook is how long the daemon's log says the start of guest took.
func startTook(t *testing.T, log, guest string) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`msg="started guest" guest=` + regexp.QuoteMeta(guest) + ` pid=\d+ took=(\S+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no start of guest %s in the daemon's log:\n%s", guest, log)
	}
	took, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatalf("the start of guest %s: %v", guest, err)
	}
	t.Logf("the start of guest %s took %v", guest, took)
	return took
}
