package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"vmhost/admin"
)

// topRow is one guest in `vmhostd top`: its state, what it uses now, and
// its rates over the last interval.
type topRow struct {
	Guest      string  `json:"guest"`
	Owner      string  `json:"owner"`
	State      string  `json:"state"`
	CPUPercent float64 `json:"cpu_percent"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// MemoryBytes is what the guest's cgroup uses, less inactive page
	// cache, as `vmhostd guest stats` counts it.
	MemoryBytes int64  `json:"memory_bytes"`
	Processes   int64  `json:"processes"`
	NetRxBytes  uint64 `json:"net_rx_bytes"`
	NetTxBytes  uint64 `json:"net_tx_bytes"`
	// NetRxRate and NetTxRate are bytes per second over the interval.
	NetRxRate float64 `json:"net_rx_bytes_per_second"`
	NetTxRate float64 `json:"net_tx_bytes_per_second"`
	Sessions  int     `json:"sessions"`
}

// topSample is what the daemon told at one moment.
type topSample struct {
	at     time.Time
	guests []admin.Guest
	stats  map[string]admin.GuestStats // by guest id, running guests only
}

// topRows returns a row per guest of cur, with rates since prev (none
// when prev is nil or the guest was not in it).
func topRows(prev, cur *topSample) []topRow {
	rows := make([]topRow, 0, len(cur.guests))
	for _, g := range cur.guests {
		r := topRow{Guest: g.ID, Owner: g.Owner, State: g.State, Sessions: g.Sessions}
		if st, ok := cur.stats[g.ID]; ok {
			r.CPUSeconds, r.MemoryBytes, r.Processes = st.CPUSeconds, st.MemoryBytes, st.Processes
			r.NetRxBytes, r.NetTxBytes = st.NetRxBytes, st.NetTxBytes
			if prev != nil {
				rates(&r, prev.stats[g.ID], st, cur.at.Sub(prev.at))
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// rates fills r's rates from the stats before and now, d apart. A counter
// that went back (the guest restarted) gives no rate.
func rates(r *topRow, before, now admin.GuestStats, d time.Duration) {
	s := d.Seconds()
	if s <= 0 || before.ID == "" {
		return
	}
	if now.CPUSeconds >= before.CPUSeconds {
		r.CPUPercent = 100 * (now.CPUSeconds - before.CPUSeconds) / s
	}
	if now.NetRxBytes >= before.NetRxBytes {
		r.NetRxRate = float64(now.NetRxBytes-before.NetRxBytes) / s
	}
	if now.NetTxBytes >= before.NetTxBytes {
		r.NetTxRate = float64(now.NetTxBytes-before.NetTxBytes) / s
	}
}

// topSorts are the orders of `vmhostd top --sort` and its keys, each
// largest first but name.
var topSorts = map[string]func(a, b topRow) int{
	"name":     func(a, b topRow) int { return strings.Compare(a.Guest, b.Guest) },
	"cpu":      func(a, b topRow) int { return cmp.Compare(b.CPUPercent, a.CPUPercent) },
	"memory":   func(a, b topRow) int { return cmp.Compare(b.MemoryBytes, a.MemoryBytes) },
	"pids":     func(a, b topRow) int { return cmp.Compare(b.Processes, a.Processes) },
	"rx":       func(a, b topRow) int { return cmp.Compare(b.NetRxRate, a.NetRxRate) },
	"tx":       func(a, b topRow) int { return cmp.Compare(b.NetTxRate, a.NetTxRate) },
	"sessions": func(a, b topRow) int { return cmp.Compare(b.Sessions, a.Sessions) },
}

// topKeys map the keys of the live view to orders.
var topKeys = map[byte]string{'n': "name", 'c': "cpu", 'm': "memory", 'p': "pids", 'r': "rx", 't': "tx", 's': "sessions"}

// sortRows sorts rows by order, then by name.
func sortRows(rows []topRow, order string) {
	by := topSorts[order]
	slices.SortStableFunc(rows, func(a, b topRow) int {
		if c := by(a, b); c != 0 {
			return c
		}
		return strings.Compare(a.Guest, b.Guest)
	})
}

// writeTop writes rows as a table, at most limit of them (0: all).
func writeTop(out io.Writer, rows []topRow, limit int) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GUEST\tSTATE\tCPU %\tMEMORY\tPIDS\tNET RX/s\tNET TX/s\tSESSIONS")
	for i, r := range rows {
		if limit > 0 && i == limit {
			break
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%d\t%s\t%s\t%d\n", r.Guest, r.State, r.CPUPercent, humanBytes(r.MemoryBytes),
			r.Processes, humanBytes(int64(r.NetRxRate)), humanBytes(int64(r.NetTxRate)), r.Sessions)
	}
	return w.Flush()
}
