package guest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"vmhost/config"
)

// pinCgroups are fakeCgroups that can pin, on a host with cpus.
type pinCgroups struct {
	*fakeCgroups
	cpus []int
	mu   sync.Mutex
	pins map[string][]int // by guest
}

func (p *pinCgroups) CPUs() ([]int, error) { return p.cpus, nil }

func (p *pinCgroups) Create(id string, l config.Limits) (Cgroup, error) {
	cg, err := p.fakeCgroups.Create(id, l)
	return pinCgroup{cg.(fakeCgroup), p}, err
}

func (p *pinCgroups) Open(id string) (Cgroup, error) {
	return pinCgroup{fakeCgroup{p.fakeCgroups, id}, p}, nil
}

// pinned is what guest id is pinned to.
func (p *pinCgroups) pinned(id string) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pins[id]
}

// pinCgroup is one guest's cgroup of pinCgroups.
type pinCgroup struct {
	fakeCgroup
	p *pinCgroups
}

func (c pinCgroup) Pin(cpus []int) error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.pins[c.id] = cpus
	return nil
}

func (c pinCgroup) Pinned() ([]int, error) { return c.p.pinned(c.id), nil }

// TestManagerSpreadsGuests starts one-CPU guests on a fake 4-CPU host and
// checks where the Manager pins them: apart at start, placed again when a
// limits change changes their CPU count, the CPUs of a stopped guest free
// again, and after a daemon restart the pins read back from the cgroups.
func TestManagerSpreadsGuests(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	cg := &pinCgroups{fakeCgroups: newFakeCgroups(), cpus: []int{0, 1, 2, 3}, pins: map[string][]int{}}
	opts.Cgroups = cg
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{CPUs: 1}}
	m := fakeManager(t, opts)
	ctx := context.Background()
	open := func(m *Manager, owner string) {
		t.Helper()
		if _, err := m.Open(ctx, owner, owner); err != nil {
			t.Fatalf("Open(%s) = %v", owner, err)
		}
	}
	check := func(when string, want map[string][]int) {
		t.Helper()
		for id, cpus := range want {
			if got := cg.pinned(id); !slices.Equal(got, cpus) {
				t.Errorf("%s: %s pinned to %v, want %v", when, id, got, cpus)
			}
		}
	}
	open(m, "alice")
	open(m, "bob")
	check("two one-CPU guests", map[string][]int{"alice": {0}, "bob": {1}})
	if _, err := m.ChangeLimits("bob", LimitsChange{Set: config.Limits{CPUs: 0.5}}); err != nil {
		t.Fatal(err)
	}
	check("a change that keeps one CPU", map[string][]int{"bob": {1}})
	if _, err := m.ChangeLimits("bob", LimitsChange{Set: config.Limits{CPUs: 1.5}}); err != nil {
		t.Skipf("skipping the rest: this host refuses cpus 1.5: %v", err)
	}
	check("bob on two CPUs", map[string][]int{"alice": {0}, "bob": {1, 2}})
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	open(m, "carol")
	check("carol after alice stopped", map[string][]int{"carol": {0}})

	m2 := fakeManager(t, opts) // the daemon restarted: bob and carol run on
	if l.count() != 2 {
		t.Fatalf("%d inits run, want bob's and carol's", l.count())
	}
	open(m2, "dave")
	check("dave after a daemon restart", map[string][]int{"dave": {3}})
}
