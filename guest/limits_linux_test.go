package guest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"vmhost/config"
)

// fakeCgroups records what the manager asks of guests' cgroups, and starts
// processes without one.
type fakeCgroups struct {
	mu      sync.Mutex
	created map[string]config.Limits
	updated map[string]config.Limits
	deleted []string
	starts  int
	pids    map[string][]int // started, by guest
	// failOnce, when set, fails the next Update after it wrote its limits,
	// as a change that stopped half-way.
	failOnce error
	// onUpdate, when set, is called by each Update, outside the lock.
	onUpdate func()
}

func newFakeCgroups() *fakeCgroups {
	return &fakeCgroups{created: map[string]config.Limits{}, updated: map[string]config.Limits{}, pids: map[string][]int{}}
}

func (f *fakeCgroups) Create(id string, l config.Limits) (Cgroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created[id] = l
	return fakeCgroup{f, id}, nil
}

func (f *fakeCgroups) Open(id string) (Cgroup, error) { return fakeCgroup{f, id}, nil }

// fakeCgroup is one guest's cgroup of a fakeCgroups.
type fakeCgroup struct {
	f  *fakeCgroups
	id string
}

// fakeStats is what every fakeCgroup counts.
var fakeStats = Stats{MemoryBytes: 12345, CPU: 678, Processes: 9}

func (c fakeCgroup) Start(cmd *exec.Cmd) error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.starts++
	if err := cmd.Start(); err != nil {
		return err
	}
	c.f.pids[c.id] = append(c.f.pids[c.id], cmd.Process.Pid)
	return nil
}

// Procs lists the processes the fake started for the guest that still run.
func (c fakeCgroup) Procs() ([]int, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	var alive []int
	for _, pid := range c.f.pids[c.id] {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			alive = append(alive, pid)
		}
	}
	return alive, nil
}

func (c fakeCgroup) Update(l config.Limits) error {
	c.f.mu.Lock()
	c.f.updated[c.id] = l
	err := c.f.failOnce
	c.f.failOnce = nil
	hook := c.f.onUpdate
	c.f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return err
}

func (c fakeCgroup) Stats() (Stats, error) { return fakeStats, nil }

func (c fakeCgroup) Delete() error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.deleted = append(c.f.deleted, c.id)
	return nil
}

// limitPolicy gives every owner the same limits.
type limitPolicy struct {
	testPolicy
	limits config.Limits
}

func (p limitPolicy) GuestLimits(string, string) config.Limits { return p.limits }

func TestGuestCgroup(t *testing.T) {
	opts := testOptions(t)
	cg := newFakeCgroups()
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{Pids: 64, CPUs: 1}}
	opts.Cgroups = cg
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	// The init's setup runs without the CPU quota; the guest runs with it.
	if want := (config.Limits{Pids: 64}); cg.starts != 1 || cg.created["alice"] != want {
		t.Errorf("after the first start: %d starts through the cgroup, created with %+v; want 1 and %+v", cg.starts, cg.created["alice"], want)
	}
	if want := (config.Limits{Pids: 64, CPUs: 1}); cg.updated["alice"] != want {
		t.Errorf("limits of the running guest after the first start = %+v, want %+v", cg.updated["alice"], want)
	}
	checkOOMScoreAdj(t, m, g)
	checkSetLimits(t, m, cg)
	st, err := m.Stats("alice")
	if err != nil || st.MemoryBytes != fakeStats.MemoryBytes || st.Processes != fakeStats.Processes {
		t.Errorf("Stats(alice) = %+v, %v, want the cgroup's %+v", st, err, fakeStats)
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(cg.deleted, []string{"alice"}) {
		t.Errorf("cgroups deleted after Stop = %q, want [alice]", cg.deleted)
	}
	if st, err := m.Stats("alice"); err != nil || st != (Stats{}) {
		t.Errorf("Stats of a stopped guest = %+v, %v, want zero", st, err)
	}
	if _, err := m.Stats("nobody"); !errors.Is(err, ErrUnknownGuest) {
		t.Errorf("Stats(nobody) = %v, want ErrUnknownGuest", err)
	}
}

// checkOOMScoreAdj checks that the init keeps out of the OOM killer's way and
// the processes it starts do not.
func checkOOMScoreAdj(t *testing.T, m *Manager, g Running) {
	t.Helper()
	info, err := m.Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", info.InitPid))
	switch {
	case !hasCapability(t, unix.CAP_SYS_RESOURCE):
		t.Log("not checking the init's oom_score_adj: lowering it needs CAP_SYS_RESOURCE, which this test lacks")
	case err != nil || strings.TrimSpace(string(b)) != "-999":
		t.Errorf("oom_score_adj of the init = %q, %v, want -999", b, err)
	}
	if out, _, _ := run(t, g, "/bin/cat", "/proc/self/oom_score_adj"); strings.TrimSpace(out) != "0" {
		t.Errorf("oom_score_adj of a process in the guest = %q, want 0", out)
	}
}

// checkSetLimits sets limits of alice's own and checks they reach her
// running cgroup and her guest.json, and that bad limits are refused.
func checkSetLimits(t *testing.T, m *Manager, cg *fakeCgroups) {
	t.Helper()
	if err := m.SetLimits("alice", config.Limits{Memory: 64 * config.MiB, Pids: 10}); err != nil {
		t.Fatalf("SetLimits = %v", err)
	}
	want := config.Limits{Memory: 64 * config.MiB, Pids: 10, CPUs: 1}
	if cg.updated["alice"] != want {
		t.Errorf("live limits after SetLimits = %+v, want %+v", cg.updated["alice"], want)
	}
	st, err := readState(m.guestDir("alice"))
	if err != nil || st.Limits == nil || *st.Limits != (config.Limits{Memory: 64 * config.MiB, Pids: 10}) {
		t.Errorf("guest.json limits after SetLimits = %+v, %v", st.Limits, err)
	}
	err = m.SetLimits("alice", config.Limits{CPUs: 100000, Pids: -1})
	if err == nil || !strings.Contains(err.Error(), "cpus: 100000 is more than this host's") || !strings.Contains(err.Error(), "pids: -1") {
		t.Errorf("SetLimits(bad) = %v, want errors naming cpus and pids", err)
	}
	if err := m.SetLimits("nobody", config.Limits{}); !errors.Is(err, ErrUnknownGuest) {
		t.Errorf("SetLimits(nobody) = %v, want ErrUnknownGuest", err)
	}
}

func TestParseNetDev(t *testing.T) {
	in := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    2500      20    0    0    0     0          0         0      700       7    0    0    0     0       0          0
`
	rx, tx, err := parseNetDev([]byte(in))
	if rx != 2500 || tx != 700 || err != nil {
		t.Errorf("parseNetDev = %d, %d, %v, want 2500, 700", rx, tx, err)
	}
	if _, _, err := parseNetDev([]byte("eth0: 1 2\n")); err == nil {
		t.Errorf("parseNetDev(short line) = nil error, want one")
	}
}

// hasCapability reports whether this process has capability c in effect.
func hasCapability(t *testing.T, c uint) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && v&(1<<c) != 0
		}
	}
	return false
}

// TestGuestCgroupQuotaFailure checks that a guest whose CPU quota cannot be
// set once its init is ready does not start: no init runs without it, and
// the next start tries again.
func TestGuestCgroupQuotaFailure(t *testing.T) {
	opts := testOptions(t)
	cg := newFakeCgroups()
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{CPUs: 1}}
	opts.Cgroups = cg
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	cg.failOnce = errors.New("no cpu.cfs_quota_us")
	if _, err := m.Open(context.Background(), "alice", "alice"); err == nil || !strings.Contains(err.Error(), "no cpu.cfs_quota_us") {
		t.Fatalf("Open with a quota that cannot be set = %v, want its error", err)
	}
	if !cmp.Equal(cg.deleted, []string{"alice"}) {
		t.Errorf("cgroups deleted after the failed start = %q, want [alice]", cg.deleted)
	}
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatalf("Open again = %v", err)
	}
	if want := (config.Limits{CPUs: 1}); cg.updated["alice"] != want {
		t.Errorf("limits of the running guest = %+v, want %+v", cg.updated["alice"], want)
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
}

// TestGuestBootWaitsForItsQuota: the init sets up without the guest's CPU
// quota, but boots the guest (its rc.local here) only once the daemon has
// given it the quota.
func TestGuestBootWaitsForItsQuota(t *testing.T) {
	opts := testOptions(t)
	rc := filepath.Join(opts.Images.(testImage).rootfs, "etc/rc.local")
	if err := os.WriteFile(rc, []byte("#!/bin/sh\necho booted > /root/booted\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cg := newFakeCgroups()
	updating, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cg.onUpdate = func() { once.Do(func() { close(updating); <-release }) }
	opts.Cgroups = cg
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{CPUs: 1}}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() { _, err := m.Open(context.Background(), "alice", "alice"); opened <- err }()
	select {
	case <-updating:
	case err := <-opened:
		t.Fatalf("Open returned before the quota was given: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the guest's limits were never updated at its start")
	}
	booted := filepath.Join(opts.DataDir, "guests", "alice", upperDir, "root", "booted")
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(booted); err == nil {
		t.Error("the guest booted (rc.local ran) before its CPU quota was given")
	}
	close(release)
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(booted); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the guest did not boot once its quota was given")
		}
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
}
