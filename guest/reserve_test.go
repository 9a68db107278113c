package guest

import (
	"testing"

	"vmhost/config"
)

func TestBelowReserve(t *testing.T) {
	r := config.Storage{Reserve: 256 * config.MiB, ReserveInodes: config.Amount{Percent: 1}}
	for _, tt := range []struct {
		name  string
		sp    Space
		r     config.Storage
		below bool
	}{
		{"room", Space{FreeBytes: 1 << 30, FreeInodes: 5000, Inodes: 10000}, r, false},
		{"at the reserve", Space{FreeBytes: 256 << 20, FreeInodes: 100, Inodes: 10000}, r, false},
		{"a byte short", Space{FreeBytes: 256<<20 - 1, FreeInodes: 5000, Inodes: 10000}, r, true},
		{"full", Space{FreeBytes: 0, FreeInodes: 5000, Inodes: 10000}, r, true},
		{"inodes short", Space{FreeBytes: 1 << 30, FreeInodes: 99, Inodes: 10000}, r, true},
		{"no fixed inodes", Space{FreeBytes: 1 << 30}, r, false},
		{"inodes by number", Space{FreeBytes: 1 << 30, FreeInodes: 499, Inodes: 1 << 20},
			config.Storage{ReserveInodes: config.Amount{N: 500}}, true},
		{"no reserve", Space{}, config.Storage{}, false},
	} {
		if got := belowReserve(tt.sp, tt.r); (got != "") != tt.below {
			t.Errorf("%s: belowReserve(%+v, %+v) = %q, want below %v", tt.name, tt.sp, tt.r, got, tt.below)
		}
	}
}
