package netplumb

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	r := newRateLimiter(slog.New(slog.DiscardHandler), "test", 10, 20, func() time.Time { return now })
	alice, bob := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	allowed := 0
	for i := 0; i < 1000; i++ {
		if r.allow(alice) {
			allowed++
		}
	}
	if allowed != 20 {
		t.Errorf("a burst of 1000 at once: %d allowed, want the burst, 20", allowed)
	}
	if !r.allow(bob) {
		t.Error("bob refused while alice is at her limit")
	}
	now = now.Add(time.Second)
	allowed = 0
	for i := 0; i < 1000; i++ {
		if r.allow(alice) {
			allowed++
		}
	}
	if allowed != 10 {
		t.Errorf("a second later: %d allowed, want the rate, 10", allowed)
	}
	for i := 0; i < 2*maxRateSources; i++ {
		r.allow(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
		now = now.Add(time.Millisecond)
	}
	if len(r.buckets) > maxRateSources {
		t.Errorf("%d sources followed, want at most %d", len(r.buckets), maxRateSources)
	}
}

func TestBoundsDefaults(t *testing.T) {
	got := Bounds{RelayTCP: 5}.withDefaults()
	want := Bounds{RelayTCP: 5, RelayUDP: relayUDPPerSource, DNSConns: dnsTCPPerSource, DNSQueries: dnsForwardsPerSource, DNSRate: dnsRate,
		Conntrack: connsPerGuest}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}
