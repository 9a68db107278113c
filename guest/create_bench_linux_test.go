package guest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"vmhost/netplumb"
)

// manyPolicy lets one owner have many guests.
type manyPolicy struct{ testPolicy }

func (manyPolicy) MaxGuestsFor(string) int { return 1 << 20 }

// phaseTimes sums the phases a TraceFunc reports.
type phaseTimes struct {
	mu  sync.Mutex
	sum map[string]time.Duration
}

func (p *phaseTimes) trace(_, phase string, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sum[phase] += took
}

// BenchmarkCreateGuest measures the creation and first start of a guest on
// a real guest network, broken down by phase: the guest's directory and
// state ("create"), its image, its address, the clone of the init into its
// namespaces, its veth, its idmapped overlay root, the init setting up, and
// the state written. Run it with:
//
//	go test -run '^$' -bench CreateGuest -benchtime 50x ./guest/
func BenchmarkCreateGuest(b *testing.B) {
	opts := testOptions(b)
	subnet := netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", 230+rand.IntN(10)))
	nw, err := netplumb.New(netplumb.Config{Bridge: fmt.Sprintf("vmbg%06x", rand.IntN(1<<24)), Subnet: subnet, NAT: true, Isolate: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := nw.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := nw.Teardown(); err != nil {
			b.Error(err)
		}
	})
	times := &phaseTimes{sum: map[string]time.Duration{}}
	opts.Network, opts.Policy, opts.Trace = nw, manyPolicy{}, times.trace
	m, err := NewManager(opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if _, err := m.Open(ctx, "bench", fmt.Sprintf("g%d", i)); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
	}
	b.StopTimer()
	var phases time.Duration
	for phase, d := range times.sum {
		b.ReportMetric(float64(d)/float64(b.N)/1e6, phase+"-ms")
		phases += d
	}
	b.ReportMetric(float64(total-phases)/float64(b.N)/1e6, "create-ms")
}
