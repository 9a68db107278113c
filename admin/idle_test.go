package admin

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/guest"
)

func TestIdleStopper(t *testing.T) {
	g := newFakeGuests() // alice runs
	g.set("bob+web", true, guest.StatusRunning)
	in := g.guests["bob+web"]
	in.InitPid = 4242
	g.guests["bob+web"] = in
	sessions := fakeSessions{}
	procs := map[int]int{}
	now := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	s := NewIdleStopper(IdleOptions{
		Guests: g, Sessions: sessions,
		IdleStopFor: func(owner string) time.Duration {
			if owner == "alice" {
				return 10 * time.Minute
			}
			return 0 // bob's guests never stop
		},
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
	step(0)                    // first seen: busy
	step(9 * time.Minute)      // idle 9m
	sessions["alice"] = 1      // a login
	step(5 * time.Minute)      // busy again
	delete(sessions, "alice")  // logged out
	procs[os.Getpid()] = 1     // a nohup'ed process runs
	step(11 * time.Minute)     // busy
	delete(procs, os.Getpid()) // it ended
	step(9 * time.Minute)      // idle 9m
	step(time.Minute, "alice") // idle 10m: stopped
	step(time.Hour)            // nothing runs
	if diff := cmp.Diff([]string{"stop alice"}, g.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
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

func TestAutostart(t *testing.T) {
	g := newFakeGuests() // alice runs; bob+web and carol do not
	Autostart(context.Background(), g, func(owner string) bool { return owner != "carol" }, slog.New(slog.DiscardHandler))
	if diff := cmp.Diff([]string{"start bob+web"}, g.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
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
