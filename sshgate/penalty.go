package sshgate

import (
	"net/netip"
	"sync"
	"time"
)

// Defaults for PenaltyOptions.
const (
	DefaultPenaltyBurst  = 10
	DefaultPenaltyRefill = 6 * time.Second
	DefaultPenaltyDelay  = 2 * time.Second
)

// maxPenaltySources bounds the source addresses tracked at once; past it,
// sources whose allowance is whole again are forgotten, and new ones go
// untracked until there is room.
const maxPenaltySources = 65536

// maxDelayedPerSource bounds the connections of one source held in a penalty
// delay at once; a penalized failure beyond it closes its connection at once.
const maxDelayedPerSource = 8

// PenaltyOptions configure the penalty for failed authentication, modelled on
// OpenSSH's PerSourcePenalties. Each source address may fail Burst times,
// and one more time every Refill; a source past its allowance is penalized:
// each further failure is answered only after Delay, and with too many of its
// connections waiting, the connection is closed. An attempt that presents an
// authorized key is never delayed or refused, so a user whose address is
// shared with an attacker still gets in.
type PenaltyOptions struct {
	Disabled bool
	// Burst is the failures allowed at once; DefaultPenaltyBurst when zero.
	Burst int
	// Refill is how often one more failure is allowed; DefaultPenaltyRefill
	// when zero.
	Refill time.Duration
	// Delay is how long a penalized failure waits for its answer;
	// DefaultPenaltyDelay when zero.
	Delay time.Duration
}

// penalty is what happens to a failed attempt.
type penalty int

const (
	penaltyNone  penalty = iota // answered at once
	penaltyDelay                // answered after the delay
	penaltyClose                // the connection is closed
)

// penalties are the failure allowances of source addresses: a token bucket
// per address. It is safe for concurrent use.
type penalties struct {
	opts PenaltyOptions
	now  func() time.Time

	mu      sync.Mutex
	sources map[netip.Addr]*bucket
}

// bucket is the allowance of one source.
type bucket struct {
	tokens  float64
	updated time.Time
	delayed int // connections in a penalty delay now
}

// newPenalties returns the allowances for opts, with now as the clock.
func newPenalties(opts PenaltyOptions, now func() time.Time) *penalties {
	opts.Burst = orDefault(opts.Burst, DefaultPenaltyBurst)
	opts.Refill = orDefault(opts.Refill, DefaultPenaltyRefill)
	opts.Delay = orDefault(opts.Delay, DefaultPenaltyDelay)
	return &penalties{opts: opts, now: now, sources: make(map[netip.Addr]*bucket)}
}

// fail records a failed attempt from src and says what happens to it. A
// penaltyDelay must be followed by done(src) once the delay is over.
func (p *penalties) fail(src netip.Addr) penalty {
	if p.opts.Disabled || !src.IsValid() {
		return penaltyNone
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bucketOf(src)
	if b == nil {
		return penaltyNone
	}
	if b.tokens >= 1 {
		b.tokens--
		return penaltyNone
	}
	if b.delayed >= maxDelayedPerSource {
		return penaltyClose
	}
	b.delayed++
	return penaltyDelay
}

// done ends a penalty delay of src.
func (p *penalties) done(src netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.sources[src]; b != nil && b.delayed > 0 {
		b.delayed--
	}
}

// bucketOf returns the refilled bucket of src, making it when there is room.
// p.mu must be held.
func (p *penalties) bucketOf(src netip.Addr) *bucket {
	now := p.now()
	if b := p.sources[src]; b != nil {
		p.refill(b, now)
		return b
	}
	if len(p.sources) >= maxPenaltySources && !p.sweep(now) {
		return nil
	}
	b := &bucket{tokens: float64(p.opts.Burst), updated: now}
	p.sources[src] = b
	return b
}

// refill adds the failures allowed since the bucket's last update.
func (p *penalties) refill(b *bucket, now time.Time) {
	elapsed := now.Sub(b.updated)
	if elapsed <= 0 {
		return
	}
	b.tokens = min(float64(p.opts.Burst), b.tokens+float64(elapsed)/float64(p.opts.Refill))
	b.updated = now
}

// sweep forgets the sources whose allowance is whole again, and reports
// whether that made room. p.mu must be held.
func (p *penalties) sweep(now time.Time) bool {
	for src, b := range p.sources {
		p.refill(b, now)
		if b.tokens >= float64(p.opts.Burst) && b.delayed == 0 {
			delete(p.sources, src)
		}
	}
	return len(p.sources) < maxPenaltySources
}
