package reserve

import (
	"errors"
	"strings"
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
		if got := Below(tt.sp, tt.r); (got != "") != tt.below {
			t.Errorf("%s: Below(%+v, %+v) = %q, want below %v", tt.name, tt.sp, tt.r, got, tt.below)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(dir, config.Storage{Reserve: 1 << 62}); !errors.Is(err, ErrShort) || !strings.Contains(err.Error(), "storage.reserve") {
		t.Errorf("Check(%s) with a reserve of 4 EiB = %v, want ErrShort naming storage.reserve", dir, err)
	}
	if err := Check(dir, config.Storage{Reserve: 1, ReserveInodes: config.Amount{N: 1}}); err != nil {
		t.Errorf("Check(%s) with a reserve of a byte and an inode = %v, want nil", dir, err)
	}
	if err := Check(dir+"/missing", config.Storage{Reserve: 1 << 62}); err != nil {
		t.Errorf("Check of a path that cannot be asked = %v, want nil", err)
	}
}
