package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/admin"
)

func TestTopRows(t *testing.T) {
	t0 := time.Unix(1000, 0)
	guests := []admin.Guest{
		{ID: "alice", Owner: "alice", State: "running", Sessions: 2},
		{ID: "bob+web", Owner: "bob", State: "running"},
		{ID: "carol", Owner: "carol", State: "stopped"},
		{ID: "dave", Owner: "dave", State: "running"},
	}
	prev := &topSample{at: t0, guests: guests, stats: map[string]admin.GuestStats{
		"alice":   {ID: "alice", CPUSeconds: 10, NetRxBytes: 1000, NetTxBytes: 500},
		"bob+web": {ID: "bob+web", CPUSeconds: 50, NetRxBytes: 100},
	}}
	cur := &topSample{at: t0.Add(2 * time.Second), guests: guests, stats: map[string]admin.GuestStats{
		"alice":   {ID: "alice", CPUSeconds: 11, MemoryBytes: 1 << 20, Processes: 3, NetRxBytes: 3000, NetTxBytes: 700},
		"bob+web": {ID: "bob+web", CPUSeconds: 0.5, MemoryBytes: 2 << 20, NetRxBytes: 10}, // restarted
		"dave":    {ID: "dave", CPUSeconds: 1},
	}}
	got := topRows(prev, cur)
	sortRows(got, "cpu")
	want := []topRow{
		{Guest: "alice", Owner: "alice", State: "running", CPUPercent: 50, CPUSeconds: 11, MemoryBytes: 1 << 20,
			Processes: 3, NetRxBytes: 3000, NetTxBytes: 700, NetRxRate: 1000, NetTxRate: 100, Sessions: 2},
		{Guest: "bob+web", Owner: "bob", State: "running", CPUSeconds: 0.5, MemoryBytes: 2 << 20, NetRxBytes: 10},
		{Guest: "carol", Owner: "carol", State: "stopped"},
		{Guest: "dave", Owner: "dave", State: "running", CPUSeconds: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topRows (-want +got):\n%s", diff)
	}
}

func TestSortRows(t *testing.T) {
	rows := []topRow{
		{Guest: "a", CPUPercent: 1, MemoryBytes: 30, Processes: 2, NetRxRate: 5, NetTxRate: 1, Sessions: 0},
		{Guest: "b", CPUPercent: 3, MemoryBytes: 10, Processes: 1, NetRxRate: 1, NetTxRate: 9, Sessions: 2},
		{Guest: "c", CPUPercent: 2, MemoryBytes: 20, Processes: 3, NetRxRate: 9, NetTxRate: 5, Sessions: 1},
	}
	tests := map[string]string{"name": "abc", "cpu": "bca", "memory": "acb", "pids": "cab", "rx": "cab", "tx": "bca", "sessions": "bca"}
	for order, want := range tests {
		sortRows(rows, order)
		var got strings.Builder
		for _, r := range rows {
			got.WriteString(r.Guest)
		}
		if got.String() != want {
			t.Errorf("sortRows(%s) = %s, want %s", order, got.String(), want)
		}
	}
	for k, order := range topKeys {
		if topSorts[order] == nil {
			t.Errorf("key %q sorts by %q, which is no order", k, order)
		}
	}
}

func TestWriteTop(t *testing.T) {
	rows := []topRow{{Guest: "alice", State: "running", CPUPercent: 12.34, MemoryBytes: 3 << 20, Processes: 4,
		NetRxRate: 2048, Sessions: 1}, {Guest: "bob", State: "stopped"}}
	var b strings.Builder
	if err := writeTop(&b, rows, 1); err != nil {
		t.Fatal(err)
	}
	want := "GUEST  STATE    CPU %  MEMORY  PIDS  NET RX/s  NET TX/s  SESSIONS\nalice  running  12.3   3MiB    4     2KiB      0B        1\n"
	if b.String() != want {
		t.Errorf("writeTop =\n%q\nwant\n%q", b.String(), want)
	}
}
