package guest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChooseCPUs(t *testing.T) {
	tests := []struct {
		name string
		all  []int
		load map[int]int
		n    int
		want []int
	}{
		{"idle host", []int{0, 1, 2, 3}, nil, 1, []int{0}},
		{"least used first", []int{0, 1, 2, 3}, map[int]int{0: 2, 1: 1, 3: 1}, 2, []int{1, 2}},
		{"ties by number", []int{0, 1, 2, 3}, map[int]int{0: 1, 1: 1, 2: 1, 3: 1}, 2, []int{0, 1}},
		{"every CPU", []int{0, 1}, nil, 2, nil},
		{"more than the host", []int{0, 1}, nil, 3, nil},
		{"none wanted", []int{0, 1}, nil, 0, nil},
		{"sparse CPUs", []int{2, 5, 7}, map[int]int{2: 1}, 2, []int{5, 7}},
	}
	for _, tt := range tests {
		if got := chooseCPUs(tt.all, tt.load, tt.n); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: chooseCPUs(%v, %v, %d) = %v, want %v", tt.name, tt.all, tt.load, tt.n, got, tt.want)
		}
	}
}

func TestCPUsWanted(t *testing.T) {
	tests := []struct {
		cpus float64
		host int
		want int
	}{
		{0, 8, 8}, {0.5, 8, 1}, {1, 8, 1}, {1.5, 8, 2}, {2, 8, 2}, {12, 8, 8}, {-1, 4, 4},
	}
	for _, tt := range tests {
		if got := cpusWanted(tt.cpus, tt.host); got != tt.want {
			t.Errorf("cpusWanted(%v, %d) = %d, want %d", tt.cpus, tt.host, got, tt.want)
		}
	}
}

// TestCPUPlacerSpreads places guests one after another on a 4-CPU host
// and checks that they spread, that a guest placed again leaves its own
// CPUs out of the count, and that keep holds a guest's CPUs.
func TestCPUPlacerSpreads(t *testing.T) {
	all := []int{0, 1, 2, 3}
	var p cpuPlacer
	steps := []struct {
		id   string
		n    int
		keep bool
		want []int
	}{
		{"a", 1, false, []int{0}},
		{"b", 1, false, []int{1}},
		{"c", 2, false, []int{2, 3}},
		{"d", 1, false, []int{0}},
		{"e", 4, false, nil}, // every CPU: not pinned, not counted
		{"f", 3, false, []int{1, 2, 3}},
		{"a", 1, false, []int{0}},   // its own CPU 0 not counted: CPU 0 has d, CPUs 1-3 two each
		{"c", 2, true, []int{2, 3}}, // a limits change that keeps the count
		{"c", 1, true, []int{2}},    // one that changes it: CPUs 2 and 3 have f alone
	}
	for i, s := range steps {
		if got := p.place(s.id, all, s.n, s.keep); !cmp.Equal(got, s.want) {
			t.Errorf("step %d: place(%s, %d, keep %v) = %v, want %v (pins %v)", i, s.id, s.n, s.keep, got, s.want, p.pins)
		}
	}
	p.forget("a")
	p.forget("d")
	if got := p.place("g", all, 1, false); !cmp.Equal(got, []int{0}) {
		t.Errorf("after a and d ended, place(g) = %v, want [0], which no guest left uses (pins %v)", got, p.pins)
	}
}
