package images

import (
	"os"
	"syscall"
	"testing"
)

// linkCount is the number of hard links of p.
func linkCount(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Nlink)
}
