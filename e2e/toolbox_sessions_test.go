package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestToolboxControlMaster checks multiplexing as Ansible uses it: one
// ControlMaster connection, then 12 ssh processes at once over it, each a
// session with a process, an environment and (for one) a terminal of its
// own. All 12 run at the same time, which ssh.max_sessions: 12 allows.
func TestToolboxControlMaster(t *testing.T) {
	t.Parallel()
	const n = 12
	d := newToolboxDaemon(t, fmt.Sprintf("ssh:\n  max_sessions: %d\n", n))
	key := d.keyOf(t, "alice")
	ctl := filepath.Join(t.TempDir(), "cm")
	// The master filters the environment its clients pass by its own SendEnv.
	master := startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-M", "-S", ctl, "-o", "SendEnv=LC_VMHOST")...)
	waitFor(t, 20*time.Second, "the ControlMaster socket", func() bool {
		res := runTool(t, nil, "", sshPath, append(d.sshArgs(key, "alice", "-S", ctl), "-O", "check")...)
		return res.code == 0
	})
	d.mustSSH(t, "alice", "rm -rf /tmp/cm && mkdir /tmp/cm")

	// Each session waits until all n are in, so they run at once.
	barrier := fmt.Sprintf(`touch /tmp/cm/$$; i=0; while [ "$(ls /tmp/cm | wc -l)" -lt %d ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo "$$ $LC_VMHOST $(ls /tmp/cm | wc -l)"`, n)
	outs := make([]toolResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			args := d.sshArgs(key, "alice", "-S", ctl, "-o", "ControlMaster=no", "-o", "SendEnv=LC_VMHOST")
			env := append(sshEnv(), fmt.Sprintf("LC_VMHOST=s%d", i))
			outs[i] = runTool(t, env, "", sshPath, append(args, barrier)...)
		})
	}
	wg.Wait()
	pids := map[string]bool{}
	for i, res := range outs {
		f := strings.Fields(res.stdout)
		if res.code != 0 || len(f) != 3 || f[1] != fmt.Sprintf("s%d", i) || f[2] != fmt.Sprint(n) {
			t.Errorf("session %d over the ControlMaster: exit %d, stdout %q, stderr %q; want its pid, s%d and %d sessions at once",
				i, res.code, res.stdout, res.stderr, i, n)
			continue
		}
		pids[f[0]] = true
	}
	if len(pids) != n && !t.Failed() {
		t.Errorf("%d sessions ran in %d distinct processes, want %d", n, len(pids), n)
	}
	res := runTool(t, nil, "", sshPath, append(d.sshArgs(key, "alice", "-S", ctl, "-tt"), "tty")...)
	if !regexp.MustCompile(`^/dev/pts/\d+\r?\n$`).MatchString(res.stdout) {
		t.Errorf("ssh -tt over the ControlMaster: tty printed %q, want /dev/pts/N", res.stdout)
	}
	if strings.Count(d.log(), "msg=\"connection opened\"") > 3 {
		t.Errorf("the sessions did not share the ControlMaster's connection:\n%s", d.log())
	}
	select {
	case <-master.exited:
		t.Errorf("the ControlMaster exited: %s", master.stderr.String())
	default:
	}
}

// TestToolboxLoginBurst checks 30 logins at once, with the default
// ssh.max_startups.
func TestToolboxLoginBurst(t *testing.T) {
	t.Parallel()
	const n = 30
	d := newToolboxDaemon(t, "")
	d.mustSSH(t, "alice", "true") // the guest exists: the burst measures logins
	outs := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i], _, codes[i] = d.ssh(t, "alice", "echo ok") })
	}
	wg.Wait()
	for i := range n {
		if codes[i] != 0 || outs[i] != "ok\n" {
			t.Errorf("login %d of %d at once: exit %d, stdout %q", i, n, codes[i], outs[i])
		}
	}
}

// TestToolboxAuthPenalty checks the per-source penalty: a flood of logins
// with an unknown key from 127.0.0.1 is refused and, past the burst,
// delayed, while alice's authorized key, from the same address and during
// the flood, gets in.
func TestToolboxAuthPenalty(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "ssh:\n  auth_penalty: {burst: 3, refill: 10m, delay: 1s}\n")
	badKey, _ := makeKey(t, t.TempDir(), "mallory")
	const n = 24
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _, codes[i] = d.sshWithKey(t, badKey, "alice", "echo in") })
	}
	// During the flood, and after it, alice gets in.
	var goodOut []string
	wg.Go(func() {
		time.Sleep(200 * time.Millisecond)
		out, _, _ := d.ssh(t, "alice", "echo in")
		goodOut = append(goodOut, out)
	})
	wg.Wait()
	out, _, _ := d.ssh(t, "alice", "echo in")
	goodOut = append(goodOut, out)
	if !slices.Equal(goodOut, []string{"in\n", "in\n"}) {
		t.Errorf("alice's key during and after a flood of bad keys: %q, want in twice", goodOut)
	}
	for i, code := range codes {
		if code != 255 {
			t.Errorf("login %d with an unknown key: exit %d, want 255", i, code)
		}
	}
	log := d.log()
	delayed := strings.Count(log, "msg=login audit=true outcome=delayed")
	if delayed == 0 {
		t.Errorf("no login was delayed after %d failures from one address with burst 3:\n%s", n, log)
	}
}
