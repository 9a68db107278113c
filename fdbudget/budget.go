package fdbudget

import (
	"errors"
	"sync/atomic"
)

// ErrExhausted is returned by Acquire when the budget is spent.
var ErrExhausted = errors.New("the daemon is at its limit of open files; try again later")

// Budget counts descriptors taken for untrusted uses against a maximum. It is
// safe for concurrent use. The zero value allows nothing; a nil *Budget
// allows everything.
type Budget struct {
	max  int64
	used atomic.Int64
}

// New returns a Budget of max descriptors.
func New(max int) *Budget {
	return &Budget{max: int64(max)}
}

// Acquire takes n descriptors, or returns ErrExhausted and takes none.
func (b *Budget) Acquire(n int) error {
	if b == nil {
		return nil
	}
	if b.used.Add(int64(n)) > b.max {
		b.used.Add(-int64(n))
		return ErrExhausted
	}
	return nil
}

// Release gives back n descriptors taken by Acquire.
func (b *Budget) Release(n int) {
	if b == nil {
		return
	}
	b.used.Add(-int64(n))
}

// Used is how many descriptors are taken.
func (b *Budget) Used() int {
	if b == nil {
		return 0
	}
	return int(b.used.Load())
}

// Max is the size of the budget.
func (b *Budget) Max() int {
	if b == nil {
		return 0
	}
	return int(b.max)
}

// MinReserve is the least a budget made by ForProcess keeps out of reach of
// untrusted uses; it keeps a quarter of the limit when that is more.
const MinReserve = 1024

// untrusted is the part of a limit of n descriptors that untrusted uses may
// take.
func untrusted(n uint64) int {
	reserve := max(n/4, MinReserve)
	if n <= reserve {
		return 0
	}
	return int(min(n-reserve, 1<<30))
}
