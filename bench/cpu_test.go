package main

import (
	"os"
	"testing"
	"time"
)

func TestParseCPU(t *testing.T) {
	// A comm with spaces and a parenthesis, then utime 250, stime 50,
	// cutime 7, cstime 3 ticks (fields 14 to 17).
	stat := "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 12345 0 0"
	f, err := splitStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cpuOf(f)
	if err != nil {
		t.Fatal(err)
	}
	want := cpuTimes{self: 3 * time.Second, reaped: 100 * time.Millisecond}
	if got != want {
		t.Errorf("cpuOf = %+v, want %+v", got, want)
	}
	if _, err := splitStat("42 (x) S 1 2"); err == nil {
		t.Error("splitStat accepted a short line")
	}
}

func TestTreeCPUCountsThisProcess(t *testing.T) {
	own, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree < own.self {
		t.Errorf("treeCPU = %v, less than the process's own %v", tree, own.self)
	}
}
