package guest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// limitsManager returns a Manager with a fake launcher and fake cgroups,
// whose owners get limits, and alice's guest running.
func limitsManager(t *testing.T, limits config.Limits) (*Manager, *fakeCgroups) {
	t.Helper()
	opts, _, _ := fakeOptions(t)
	cg := newFakeCgroups()
	opts.Policy, opts.Cgroups = limitPolicy{testPolicy{max: 2}, limits}, cg
	m := fakeManager(t, opts)
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	return m, cg
}

func TestChangeLimits(t *testing.T) {
	m, cg := limitsManager(t, config.Limits{Memory: config.GiB, CPUs: 1})
	steps := []struct {
		change   LimitsChange
		wantOwn  config.Limits // in guest.json
		wantLive config.Limits // the cgroup's
		wantErr  string
	}{
		{LimitsChange{Set: config.Limits{Pids: 64}}, config.Limits{Pids: 64}, config.Limits{Memory: config.GiB, CPUs: 1, Pids: 64}, ""},
		{LimitsChange{Set: config.Limits{Memory: 256 * config.MiB}}, config.Limits{Pids: 64, Memory: 256 * config.MiB},
			config.Limits{Memory: 256 * config.MiB, CPUs: 1, Pids: 64}, ""},
		{LimitsChange{Set: config.Limits{CPUs: 100000}}, config.Limits{Pids: 64, Memory: 256 * config.MiB},
			config.Limits{Memory: 256 * config.MiB, CPUs: 1, Pids: 64}, "limits of guest alice: cpus: 100000 is more than this host's"},
		{LimitsChange{Set: config.Limits{Memory: 1000}}, config.Limits{Pids: 64, Memory: 256 * config.MiB},
			config.Limits{Memory: 256 * config.MiB, CPUs: 1, Pids: 64}, "memory: 1000 is too little"},
		{LimitsChange{Reset: true}, config.Limits{}, config.Limits{Memory: config.GiB, CPUs: 1}, ""},
		{LimitsChange{Reset: true, Set: config.Limits{CPUs: 0.5}}, config.Limits{CPUs: 0.5}, config.Limits{Memory: config.GiB, CPUs: 0.5}, ""},
	}
	for i, s := range steps {
		got, err := m.ChangeLimits("alice", s.change)
		if s.wantErr != "" {
			if !errors.Is(err, ErrBadLimits) || !strings.Contains(err.Error(), s.wantErr) || strings.Contains(err.Error(), ErrBadLimits.Error()) {
				t.Errorf("step %d: ChangeLimits(%+v) = %v; want ErrBadLimits saying %q alone", i, s.change, err, s.wantErr)
			}
		} else if err != nil || got != s.wantOwn {
			t.Errorf("step %d: ChangeLimits(%+v) = %+v, %v; want %+v", i, s.change, got, err, s.wantOwn)
		}
		checkLimitsRecorded(t, m, s.wantOwn)
		if live := cg.updated["alice"]; live != s.wantLive && i > 0 {
			t.Errorf("step %d: the cgroup's limits = %+v, want %+v", i, live, s.wantLive)
		}
	}
	if _, err := m.ChangeLimits("nobody", LimitsChange{Set: config.Limits{Pids: 1}}); !errors.Is(err, ErrUnknownGuest) {
		t.Errorf("ChangeLimits(nobody) = %v, want ErrUnknownGuest", err)
	}
}

// checkLimitsRecorded checks the own limits of alice that guest.json and
// the listing show.
func checkLimitsRecorded(t *testing.T, m *Manager, want config.Limits) {
	t.Helper()
	st, err := readState(m.guestDir("alice"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := m.Get("alice")
	for what, got := range map[string]*config.Limits{"guest.json": st.Limits, "Get": in.Limits} {
		if (got == nil) != (want == config.Limits{}) || (got != nil && *got != want) {
			t.Errorf("own limits in %s = %+v, want %+v", what, got, want)
		}
	}
}

func TestChangeLimitsNotRecordedIsUndone(t *testing.T) {
	m, cg := limitsManager(t, config.Limits{Pids: 100})
	if err := m.SetLimits("alice", config.Limits{Pids: 50}); err != nil {
		t.Fatal(err)
	}
	recordLimits = func(string, *State) error { return errors.New("no space left on device") }
	defer func() { recordLimits = writeState }()
	_, err := m.ChangeLimits("alice", LimitsChange{Set: config.Limits{Pids: 10}})
	if err == nil || !strings.Contains(err.Error(), "recording the limits of guest alice") {
		t.Errorf("a change that cannot be recorded = %v, want an error saying so", err)
	}
	if live := cg.updated["alice"]; live != (config.Limits{Pids: 50}) {
		t.Errorf("the cgroup's limits after the change failed = %+v, want the old ones back", live)
	}
	checkLimitsRecorded(t, m, config.Limits{Pids: 50})
	recordLimits = writeState
	cg.failOnce = errors.New("writing pids.max: device or resource busy")
	if _, err := m.ChangeLimits("alice", LimitsChange{Set: config.Limits{Pids: 10}}); err == nil {
		t.Errorf("a change the cgroup refused half-way = nil error, want one")
	}
	if live := cg.updated["alice"]; live != (config.Limits{Pids: 50}) {
		t.Errorf("the cgroup's limits after it refused the change = %+v, want the old ones back", live)
	}
	checkLimitsRecorded(t, m, config.Limits{Pids: 50})
}

func TestChangeLimitsConcurrent(t *testing.T) {
	m, _ := limitsManager(t, config.Limits{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			l := config.Limits{Pids: int64(100 + i)}
			if i%2 == 1 {
				l = config.Limits{CPUs: 0.5}
			}
			if _, err := m.ChangeLimits("alice", LimitsChange{Set: l}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Each change read and wrote the guest's limits at once: the CPUs of
	// one kind of change is kept by the other kind.
	in, _ := m.Get("alice")
	if in.Limits == nil || in.Limits.CPUs != 0.5 || in.Limits.Pids < 100 {
		t.Errorf("own limits after concurrent changes = %+v, want cpus 0.5 and pids kept", in.Limits)
	}
}

func TestSetPolicyReappliesLimits(t *testing.T) {
	m, cg := limitsManager(t, config.Limits{Pids: 100})
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "web"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetLimits("alice+web", config.Limits{CPUs: 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop("alice+web"); err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(cg.updated["alice+web"])
	m.SetPolicy(limitPolicy{testPolicy{max: 2}, config.Limits{Pids: 200, Memory: config.GiB}})
	want := map[string]string{"alice": fmt.Sprint(config.Limits{Pids: 200, Memory: config.GiB}), "alice+web": before}
	got := map[string]string{"alice": fmt.Sprint(cg.updated["alice"]), "alice+web": fmt.Sprint(cg.updated["alice+web"])}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live limits after SetPolicy (-want +got), the stopped guest untouched:\n%s", diff)
	}
}
