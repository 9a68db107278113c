package syscallfilter

import "testing"

func TestReleaseAtLeast(t *testing.T) {
	tests := []struct {
		release string
		want    bool
	}{
		{"6.18.44-fc-v1272", true}, {"5.5.0", true}, {"5.10.0-28-amd64", true}, {"5.4.0-150-generic", false},
		{"4.19.0", false}, {"5.5-rc1", true}, {"junk", false}, {"", false},
	}
	for _, tt := range tests {
		if got := releaseAtLeast(tt.release, continueSince); got != tt.want {
			t.Errorf("releaseAtLeast(%q, 5.5) = %v, want %v", tt.release, got, tt.want)
		}
	}
}
