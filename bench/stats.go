package main

import (
	"slices"
	"time"
)

// median returns the median of ds, or 0 for none.
func median(ds []time.Duration) time.Duration {
	return percentile(ds, 50)
}

// percentile returns the p-th percentile of ds (nearest rank), or 0 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// medianFloat returns the median of xs, or 0 for none.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// timeIt returns how long f took, and its error.
func timeIt(f func() error) (time.Duration, error) {
	t0 := time.Now()
	err := f()
	return time.Since(t0), err
}

// inTurn returns a and b in the order of run: a first on even runs, b first
// on odd ones, so neither side always runs right after the other's
// leftovers (dirty pages being written back, a warm or cold cache).
func inTurn[T any](run int, a, b T) [2]T {
	if run%2 == 1 {
		return [2]T{b, a}
	}
	return [2]T{a, b}
}
