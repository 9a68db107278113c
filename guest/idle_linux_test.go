package guest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeSessions counts sessions by guest id.
type fakeSessions map[string]int

func (f fakeSessions) Sessions(id string) int { return f[id] }

func TestIdleStopper(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	// alice's guests stop after 10 minutes idle, bob's never.
	opts.Policy = testPolicy{max: 2, idle: map[string]time.Duration{"alice": 10 * time.Minute}}
	m := fakeManager(t, opts)
	ctx := context.Background()
	for _, owner := range []string{"alice", "bob"} {
		if _, err := m.Open(ctx, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := m.Get("alice")
	sessions, procs := fakeSessions{}, map[int]int{}
	now := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	s := m.NewIdleStopper(IdleOptions{
		Sessions:  sessions,
		Processes: func([]int) (map[int]int, error) { return procs, nil },
		Now:       func() time.Time { return now },
	})
	step := func(d time.Duration, want ...string) {
		t.Helper()
		now = now.Add(d)
		if got := s.Check(); !cmp.Equal(got, want) {
			t.Errorf("at +%v: Check() = %v, want %v", d, got, want)
		}
	}
	step(0)                      // first seen: busy
	step(9 * time.Minute)        // idle 9m
	sessions["alice"] = 1        // a login
	step(5 * time.Minute)        // busy again
	delete(sessions, "alice")    // logged out
	procs[alice.InitPid] = 1     // a nohup'ed process runs
	step(11 * time.Minute)       // busy
	delete(procs, alice.InitPid) // it ended
	step(9 * time.Minute)        // idle 9m
	step(time.Minute, "alice")   // idle 10m: stopped
	step(time.Hour)              // nothing of alice runs; bob never stops
	if in, _ := m.Get("alice"); in.Running || l.count() != 1 {
		t.Errorf("after the idle stop: alice running %v, %d inits; want stopped, bob's alone", in.Running, l.count())
	}
}

func TestCheckInterval(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, time.Minute},
		{[]time.Duration{0, 30 * time.Minute}, time.Minute},
		{[]time.Duration{2 * time.Minute, 30 * time.Minute}, 30 * time.Second},
		{[]time.Duration{time.Second}, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := CheckInterval(tt.in); got != tt.want {
			t.Errorf("CheckInterval(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestProcessesBeyondInit(t *testing.T) {
	got, err := ProcessesBeyondInit([]int{os.Getpid(), 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	// This test shares the pid namespace of the host (or of its container)
	// with at least its own process: more than the namespace's init.
	if len(got) != 1 || got[os.Getpid()] < 1 {
		t.Errorf("ProcessesBeyondInit = %v, want this process's namespace with 1 or more", got)
	}
}

func TestConnections(t *testing.T) {
	c := NewConnections()
	c.Opened("alice", "web")
	c.Opened("alice", "web")
	c.Opened("alice", "alice")
	c.Closed("alice", "web")
	c.Closed("bob", "bob") // a close with no open counts nothing
	got := map[string]int{}
	for _, id := range []string{"alice+web", "alice", "bob"} {
		got[id] = c.Sessions(id)
	}
	if want := map[string]int{"alice+web": 1, "alice": 1, "bob": 0}; !cmp.Equal(got, want) {
		t.Errorf("sessions = %v, want %v", got, want)
	}
}

func TestAutostart(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	opts.Policy = testPolicy{max: 3, autostart: map[string]bool{"bob": true, "carol": true}}
	if err := os.MkdirAll(opts.Images.(testImage).rootfs, 0o755); err != nil { // the build guests start from again
		t.Fatal(err)
	}
	m := fakeManager(t, opts)
	ctx := context.Background()
	// bob's web is off of its own though bob's are on; erin's is on of its
	// own though hers are off; carol and dave follow their owners.
	own := map[string]*bool{"bob+web": new(false), "erin": new(true)}
	for _, g := range [][2]string{{"bob", "web"}, {"bob", "bob"}, {"carol", "carol"}, {"dave", "dave"}, {"erin", "erin"}} {
		id := GuestID(g[0], g[1])
		if _, err := m.Open(ctx, g[0], g[1]); err != nil {
			t.Fatal(err)
		}
		if err := m.SetAutostart(id, own[id]); err != nil {
			t.Fatal(err)
		}
		if id != "bob" { // bob's own guest keeps running
			if err := m.Stop(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	starts := l.starts
	m.Autostart(ctx)
	var running []string
	for _, in := range m.List() {
		if in.Running {
			running = append(running, in.ID())
		}
	}
	if want := []string{"bob", "carol", "erin"}; !cmp.Equal(running, want) || l.starts != starts+2 {
		t.Errorf("after Autostart: %v run, %d starts; want %v, 2 starts", running, l.starts-starts, want)
	}
}
