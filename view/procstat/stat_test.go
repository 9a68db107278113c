package procstat

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFormat(t *testing.T) {
	s := Sample{
		CPUs:     []CPUTime{{User: 2 * time.Second, System: time.Second}, {User: 500 * time.Millisecond}},
		Uptime:   10 * time.Second,
		BootTime: 1700000000,
		Host:     HostCounters{Intr: 9, Ctxt: 8, Processes: 7, Softirq: "softirq 6 0 1 2 3 0 0 0 0 0 0"},
		Tasks:    Tasks{Running: 2, Blocked: 1},
	}
	want := `cpu  250 0 100 1650 0 0 0 0 0 0
cpu0 200 0 100 700 0 0 0 0 0 0
cpu1 50 0 0 950 0 0 0 0 0 0
intr 9
ctxt 8
btime 1700000000
processes 7
procs_running 2
procs_blocked 1
softirq 6 0 1 2 3 0 0 0 0 0 0
`
	if diff := cmp.Diff(want, string(Format(s))); diff != "" {
		t.Errorf("Format(...) (-want +got):\n%s", diff)
	}
}

func TestFormatEdges(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    Sample
		want []string // lines that must be there
	}{
		{"more time than uptime: no negative idle", Sample{CPUs: []CPUTime{{User: 5 * time.Second}}, Uptime: time.Second},
			[]string{"cpu  500 0 0 0 0 0 0 0 0 0", "cpu0 500 0 0 0 0 0 0 0 0 0"}},
		{"nothing runs: the reader does", Sample{CPUs: make([]CPUTime, 1)}, []string{"procs_running 1", "procs_blocked 0"}},
		{"negative btime", Sample{CPUs: make([]CPUTime, 1), BootTime: -5}, []string{"btime 0"}},
	} {
		got := strings.Split(string(Format(tt.s)), "\n")
		for _, w := range tt.want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Errorf("Format(%s) has no line %q:\n%s", tt.name, w, strings.Join(got, "\n"))
			}
		}
	}
}

func TestCPUCount(t *testing.T) {
	for _, tt := range []struct {
		name          string
		cpuset        []int
		online        int
		quota, period int64
		want          int
	}{
		{"cpuset of one", []int{1}, 2, 0, 0, 1},
		{"no cpuset: the host's", nil, 8, 0, 0, 8},
		{"quota of 1.5 rounds up", []int{0, 1, 2, 3}, 4, 150000, 100000, 2},
		{"quota above the cpuset", []int{2, 3}, 4, 800000, 100000, 2},
		{"quota of one", nil, 2, 100000, 100000, 1},
		{"no quota (-1)", []int{0, 1}, 2, -1, 100000, 2},
		{"nothing known", nil, 0, 0, 0, 1},
	} {
		if got := CPUCount(tt.cpuset, tt.online, tt.quota, tt.period); got != tt.want {
			t.Errorf("CPUCount(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFoldCPUs(t *testing.T) {
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	for _, tt := range []struct {
		name    string
		perHost map[int]CPUTime
		cpuset  []int
		n       int
		want    []CPUTime
	}{
		{"pinned to host CPU 1", map[int]CPUTime{0: {}, 1: {User: s(3), System: s(1)}}, []int{1}, 1,
			[]CPUTime{{User: s(3), System: s(1)}}},
		{"ran on CPU 0 before a move to 1", map[int]CPUTime{0: {User: s(2)}, 1: {User: s(3)}}, []int{1}, 1,
			[]CPUTime{{User: s(5)}}},
		{"two of four", map[int]CPUTime{0: {User: s(1)}, 1: {User: s(2)}, 2: {User: s(4)}, 3: {User: s(8)}}, []int{2, 3}, 2,
			[]CPUTime{{User: s(4 + 1)}, {User: s(8 + 2)}}},
		{"quota of one over a cpuset of two", map[int]CPUTime{0: {System: s(1)}, 1: {System: s(2)}}, []int{0, 1}, 1,
			[]CPUTime{{System: s(3)}}},
		{"no cpuset", map[int]CPUTime{0: {User: s(1)}, 1: {User: s(2)}}, nil, 2,
			[]CPUTime{{User: s(1)}, {User: s(2)}}},
	} {
		if diff := cmp.Diff(tt.want, FoldCPUs(tt.perHost, tt.cpuset, tt.n)); diff != "" {
			t.Errorf("FoldCPUs(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSplitCPUs(t *testing.T) {
	got := SplitCPUs(CPUTime{User: 10, System: 3}, 3)
	want := []CPUTime{{User: 4, System: 1}, {User: 3, System: 1}, {User: 3, System: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SplitCPUs (-want +got):\n%s", diff)
	}
}
