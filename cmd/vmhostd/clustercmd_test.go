package main

import (
	"strings"
	"testing"

	"vmhost/admin"
)

func TestWriteClusterGuests(t *testing.T) {
	var b strings.Builder
	err := writeClusterGuests(&b, []admin.ClusterGuest{
		{ID: "alice", Image: "busybox", State: "running", Address: "10.9.0.2", Address6: "fd00::2",
			Limits: admin.Limits{CPUs: 1.5, MemoryBytes: 512 << 20, DiskBytes: 1 << 30, Pids: 100}},
		{ID: "bob+web", Image: "debian", State: "new"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GUEST    IMAGE    CPUS     MEMORY   DISK     PIDS     STATE    ADDRESS   ADDRESS6",
		"alice    busybox  1.5      512MiB   1GiB     100      running  10.9.0.2  fd00::2",
		"bob+web  debian   default  default  default  default  new      -         -",
	}
	if got := strings.Split(strings.TrimSpace(b.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("writeClusterGuests =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
