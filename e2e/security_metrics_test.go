package e2e

import (
	"encoding/json"
	"strconv"
	"testing"
)

// TestMetricsGuestCannotFakeTraffic sends 14 MB between the ends of a veth
// pair the guest's root makes in its own network namespace: the guest's own
// /proc/net/dev counts it, but its network series, counted on the host end
// of its veth, do not move by it.
func TestMetricsGuestCannotFakeTraffic(t *testing.T) {
	t.Parallel()
	d, url, _ := metricsDaemon(t)
	d.uploadAttacker(t, "alice")
	alice := map[string]string{"guest": "alice"}
	names := []string{"vmhost_guest_network_receive_bytes_total", "vmhost_guest_network_transmit_bytes_total"}
	total := func(f metricFamilies) float64 {
		var sum float64
		for _, n := range names {
			v, ok := f.value(n, alice)
			if !ok {
				t.Fatalf("%s of alice is missing", n)
			}
			sum += v
		}
		return sum
	}
	stats := func() float64 {
		var s []struct {
			Rx int64 `json:"net_rx_bytes"`
			Tx int64 `json:"net_tx_bytes"`
		}
		if err := json.Unmarshal([]byte(d.mustAdmin(t, "guest", "stats", "alice", "--json")), &s); err != nil || len(s) != 1 {
			t.Fatalf("guest stats alice --json: %v, %+v", err, s)
		}
		return float64(s[0].Rx + s[0].Tx)
	}
	before, statsBefore := total(scrapeMetrics(t, url, metricsToken)), stats()
	facts := d.attack(t, "alice", "metrics-fake-traffic", "10000", "keep")
	after, statsAfter := total(scrapeMetrics(t, url, metricsToken)), stats()
	sent, _ := strconv.ParseFloat(facts["sent_bytes"], 64)
	in0, _ := strconv.ParseFloat(facts["inside_before"], 64)
	in1, _ := strconv.ParseFloat(facts["inside_after"], 64)
	if sent < 10e6 || in1-in0 < sent {
		t.Fatalf("the attack did not run as meant: %v", facts)
	}
	if after-before > 1e6 {
		t.Errorf("alice's network series moved by %.0f bytes while she sent %.0f inside her guest alone", after-before, sent)
	}
	if statsAfter-statsBefore > 1e6 {
		t.Errorf("guest stats (and vmhostd top) of alice moved by %.0f bytes while she sent %.0f inside her guest alone", statsAfter-statsBefore, sent)
	}
}
