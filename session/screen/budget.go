package screen

import (
	"sync"
	"time"
)

// Budget bounds how many bytes of output per second the screens sharing it
// emulate, so that a guest printing as fast as it can costs the daemon a
// bounded amount of work: a token bucket of Rate bytes a second holding at
// most Burst. One Budget may serve one session or several.
type Budget struct {
	mu     sync.Mutex
	rate   float64 // bytes a second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewBudget returns a full budget of rate bytes a second, holding at most
// burst; now is the clock (time.Now outside tests).
func NewBudget(rate, burst int, now func() time.Time) *Budget {
	return &Budget{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// take takes n bytes from the budget and reports whether they were there.
func (b *Budget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	if d := t.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(b.burst, b.tokens+d*b.rate)
	}
	b.last = t
	if float64(n) > b.tokens {
		return false
	}
	b.tokens -= float64(n)
	return true
}
