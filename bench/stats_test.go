package main

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	tests := []struct {
		p    int
		want time.Duration
	}{{50, 3}, {99, 5}, {1, 1}, {100, 5}}
	for _, tt := range tests {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %d) = %v, want %v", ds, tt.p, got, tt.want)
		}
	}
	if got := median(nil); got != 0 {
		t.Errorf("median(nil) = %v, want 0", got)
	}
	if got := medianFloat([]float64{3, 1, 2}); got != 2 {
		t.Errorf("medianFloat = %v, want 2", got)
	}
}

func TestInTurn(t *testing.T) {
	var got []string
	for i := range 4 {
		for _, s := range inTurn(i, "vm", "base") {
			got = append(got, s)
		}
	}
	want := []string{"vm", "base", "base", "vm", "vm", "base", "base", "vm"}
	if !slices.Equal(got, want) {
		t.Errorf("order of 4 runs = %v, want %v", got, want)
	}
}
