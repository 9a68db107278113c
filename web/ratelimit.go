package web

import (
	"net/netip"
	"sync"
	"time"
)

// Bounds of the login endpoint's rate limit, per source address (an IPv4
// address, an IPv6 /64): a burst, then one try per interval.
const (
	loginBurst    = 10
	loginInterval = 6 * time.Second
	// maxSources bounds the sources remembered; past it, the table is
	// cleared (a flood from many sources then gets bursts, still bounded
	// by the tokens' 256 bits).
	maxSources = 16384
)

// limiter is a token bucket per source.
type limiter struct {
	burst    int
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]bucket
}

// bucket is one source's tokens as of when.
type bucket struct {
	tokens float64
	when   time.Time
}

// newLimiter returns a limiter of burst tries, refilled one per interval.
func newLimiter(burst int, interval time.Duration, now func() time.Time) *limiter {
	return &limiter{burst: burst, interval: interval, now: now, buckets: make(map[netip.Prefix]bucket)}
}

// allow reports whether source may try now, and takes a try if so.
func (l *limiter) allow(source netip.Addr) bool {
	key := sourcePrefix(source)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxSources {
			clear(l.buckets)
		}
		b = bucket{tokens: float64(l.burst), when: now}
	}
	b.tokens = min(float64(l.burst), b.tokens+now.Sub(b.when).Seconds()/l.interval.Seconds())
	b.when = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	l.buckets[key] = b
	return allowed
}

// sourcePrefix is the unit of a source: its IPv4 address, or its IPv6 /64.
func sourcePrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}
