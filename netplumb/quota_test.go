package netplumb

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"vmhost/fdbudget"
)

func TestQuota(t *testing.T) {
	a, b, c := netip.MustParseAddr("10.250.9.2"), netip.MustParseAddr("10.250.9.3"), netip.MustParseAddr("10.250.9.4")
	var logged bytes.Buffer
	budget := fdbudget.New(10)
	q := newQuota(slog.New(slog.NewTextHandler(&logged, nil)), "test things", 2, 3, 2, budget)
	steps := []struct {
		take bool // take, or give
		src  netip.Addr
		want bool
	}{
		{true, a, true},
		{true, a, true},
		{true, a, false}, // a at its limit
		{true, b, true},
		{true, c, false}, // all in use
		{false, a, true},
		{true, c, true},
		{true, b, false}, // all in use again
	}
	for i, s := range steps {
		if !s.take {
			q.give(s.src)
			continue
		}
		if got := q.take(s.src); got != s.want {
			t.Errorf("step %d: take(%s) = %v, want %v", i, s.src, got, s.want)
		}
	}
	if got, want := budget.Used(), 3*2; got != want {
		t.Errorf("budget used = %d, want %d", got, want)
	}
	if n := strings.Count(logged.String(), "refusing"); n != 1 {
		t.Errorf("three refusals logged %d lines, want 1:\n%s", n, logged.String())
	}
	for _, src := range []netip.Addr{a, b, c} {
		q.give(src)
	}
	if budget.Used() != 0 || len(q.bySource) != 0 || q.held != 0 {
		t.Errorf("after giving all back: budget %d, by source %v, held %d; want nothing", budget.Used(), q.bySource, q.held)
	}
}

func TestQuotaBudget(t *testing.T) {
	budget := fdbudget.New(4)
	budget.Acquire(1) // someone else's descriptor
	q := newQuota(slog.New(slog.DiscardHandler), "test things", 10, 10, 2, budget)
	src := netip.MustParseAddr("10.250.9.2")
	if !q.take(src) {
		t.Fatal("take with the budget free = false")
	}
	if q.take(src) {
		t.Errorf("take needing 2 descriptors with 1 left = true, want false")
	}
	budget.Release(1)
	if !q.take(src) {
		t.Errorf("take after someone else gave a descriptor back = false, want true")
	}
}
