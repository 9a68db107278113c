package netplumb

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// Response rate limiting of the DNS server: each source address gets at most
// dnsRate answers a second (Bounds.DNSRate), twice as many at once; past that
// its queries get no answer (its resolver asks again), so a guest flooding
// the gateway with queries costs the daemon little and slows no one else
// down.
const (
	dnsRate = 100
	// maxRateSources bounds the addresses the limiter follows; past it, it
	// forgets the ones with full buckets.
	maxRateSources = 4096
)

// rateLimiter is a token bucket per source address.
type rateLimiter struct {
	what        string // names the limit in log lines
	rate, burst float64
	now         func() time.Time
	log         *slog.Logger

	mu      sync.Mutex
	buckets map[netip.Addr]*tokenBucket
	refused int // since the last warning
	warned  time.Time
}

// tokenBucket is one source's tokens as of last.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns a limiter of rate a second and burst at once per
// address.
func newRateLimiter(log *slog.Logger, what string, rate, burst float64, now func() time.Time) *rateLimiter {
	return &rateLimiter{what: what, rate: rate, burst: burst, now: now, log: log, buckets: make(map[netip.Addr]*tokenBucket)}
}

// allow takes a token of src, or reports false when it has none.
func (r *rateLimiter) allow(src netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	b := r.buckets[src]
	if b == nil {
		if len(r.buckets) >= maxRateSources {
			r.forgetFull(t)
		}
		b = &tokenBucket{tokens: r.burst, last: t}
		r.buckets[src] = b
	}
	b.tokens = min(r.burst, b.tokens+t.Sub(b.last).Seconds()*r.rate)
	b.last = t
	if b.tokens < 1 {
		r.refuse(t)
		return false
	}
	b.tokens--
	return true
}

// forgetFull drops the buckets that would be full at t. r.mu is held.
func (r *rateLimiter) forgetFull(t time.Time) {
	for src, b := range r.buckets {
		if b.tokens+t.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, src)
		}
	}
}

// refuse counts a refusal and logs the count at most once every
// quotaWarnEvery. r.mu is held.
func (r *rateLimiter) refuse(t time.Time) {
	r.refused++
	if t.Sub(r.warned) < quotaWarnEvery {
		return
	}
	r.log.Warn("refusing: too many requests from one address", "limit", r.what, "refused", r.refused)
	r.refused, r.warned = 0, t
}
