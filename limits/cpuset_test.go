package limits

import (
	"slices"
	"testing"
)

func TestCPULists(t *testing.T) {
	tests := []struct {
		text string
		cpus []int
	}{
		{"", nil},
		{"0", []int{0}},
		{"0-2,5", []int{0, 1, 2, 5}},
		{"1,3,5-6", []int{1, 3, 5, 6}},
	}
	for _, tt := range tests {
		got, err := ParseCPUs(tt.text + "\n")
		if err != nil || !slices.Equal(got, tt.cpus) {
			t.Errorf("ParseCPUs(%q) = %v, %v; want %v", tt.text, got, err, tt.cpus)
		}
		if back := FormatCPUs(tt.cpus); back != tt.text {
			t.Errorf("FormatCPUs(%v) = %q, want %q", tt.cpus, back, tt.text)
		}
	}
	for _, bad := range []string{"a", "3-1", "-1", "1,,2", "0-99999"} {
		if got, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) = %v, want an error", bad, got)
		}
	}
	if got := FormatCPUs([]int{3, 1, 2, 2}); got != "1-3" {
		t.Errorf("FormatCPUs of unsorted CPUs with a duplicate = %q, want 1-3", got)
	}
}
