package sshgate

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Unix(1_000_000, 0)} }
func addr(s string) netip.Addr           { return netip.MustParseAddr(s) }
func failN(p *penalties, src string, n int) []penalty {
	var got []penalty
	for range n {
		got = append(got, p.fail(addr(src)))
	}
	return got
}

func TestPenaltyBucket(t *testing.T) {
	clock := newFakeClock()
	p := newPenalties(PenaltyOptions{Burst: 3, Refill: 10 * time.Second, Delay: time.Second}, clock.now)
	want := []penalty{penaltyNone, penaltyNone, penaltyNone, penaltyDelay}
	if got := failN(p, "192.0.2.1", 4); !slices.Equal(got, want) {
		t.Fatalf("4 failures with burst 3 = %v, want %v", got, want)
	}
	// Another source has its own allowance.
	if got := p.fail(addr("192.0.2.2")); got != penaltyNone {
		t.Errorf("first failure of another source = %v, want none", got)
	}
	// One failure comes back every Refill.
	p.done(addr("192.0.2.1"))
	clock.add(10 * time.Second)
	want = []penalty{penaltyNone, penaltyDelay}
	if got := failN(p, "192.0.2.1", 2); !slices.Equal(got, want) {
		t.Errorf("2 failures 10s later = %v, want %v", got, want)
	}
	p.done(addr("192.0.2.1"))
	// The allowance refills up to Burst, no more.
	clock.add(time.Hour)
	want = []penalty{penaltyNone, penaltyNone, penaltyNone, penaltyDelay}
	if got := failN(p, "192.0.2.1", 4); !slices.Equal(got, want) {
		t.Errorf("4 failures an hour later = %v, want %v", got, want)
	}
}

func TestPenaltyClosesPastDelayedCap(t *testing.T) {
	p := newPenalties(PenaltyOptions{Burst: 1, Refill: time.Hour}, newFakeClock().now)
	got := failN(p, "2001:db8::1", 1+maxDelayedPerSource+1)
	if got[0] != penaltyNone || got[maxDelayedPerSource] != penaltyDelay || got[maxDelayedPerSource+1] != penaltyClose {
		t.Errorf("failures past %d delayed at once = %v, want none, %d delays, then close", maxDelayedPerSource, got, maxDelayedPerSource)
	}
	p.done(addr("2001:db8::1"))
	if got := p.fail(addr("2001:db8::1")); got != penaltyDelay {
		t.Errorf("failure after one delay ended = %v, want a delay", got)
	}
}

func TestPenaltyDisabledAndInvalid(t *testing.T) {
	off := newPenalties(PenaltyOptions{Disabled: true, Burst: 1}, newFakeClock().now)
	if got := failN(off, "192.0.2.1", 5); got[4] != penaltyNone {
		t.Errorf("disabled penalty: 5th failure = %v, want none", got[4])
	}
	on := newPenalties(PenaltyOptions{Burst: 1}, newFakeClock().now)
	for range 5 {
		if got := on.fail(netip.Addr{}); got != penaltyNone {
			t.Fatalf("failure from an unknown address = %v, want none", got)
		}
	}
}

func TestPenaltySourcesBounded(t *testing.T) {
	clock := newFakeClock()
	p := newPenalties(PenaltyOptions{Burst: 2, Refill: time.Second}, clock.now)
	base := addr("10.0.0.0").As4()
	for i := range maxPenaltySources {
		a := base
		a[1], a[2], a[3] = byte(i>>16), byte(i>>8), byte(i)
		p.fail(netip.AddrFrom4(a))
	}
	if got := p.fail(addr("192.0.2.9")); got != penaltyNone || len(p.sources) != maxPenaltySources {
		t.Fatalf("a new source with the table full = %v, %d sources; want none and the table unchanged", got, len(p.sources))
	}
	clock.add(2 * time.Second) // every allowance is whole again: they go
	p.fail(addr("192.0.2.9"))
	if len(p.sources) != 1 {
		t.Errorf("sources after a sweep = %d, want 1", len(p.sources))
	}
}
