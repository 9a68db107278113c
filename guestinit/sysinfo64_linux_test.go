//go:build amd64 || arm64

package guestinit

import (
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestSysinfoEncode64 reads the 64-bit encoding back through x/sys's
// struct, the kernel's layout (64-bit builds only: the struct is theirs).
func TestSysinfoEncode64(t *testing.T) {
	if unsafe.Sizeof(unix.Sysinfo_t{}) != sysinfoSize64 {
		t.Fatalf("unix.Sysinfo_t has %d bytes, want %d", unsafe.Sizeof(unix.Sysinfo_t{}), sysinfoSize64)
	}
	s := sysinfo{uptime: 61*time.Second + time.Millisecond, loads: [3]uint64{65536, 2, 3}, totalRAM: 256 * mib, freeRAM: 200 * mib,
		sharedRAM: 5, bufferRAM: 6, totalSwap: 512 * mib, freeSwap: 500 * mib, procs: 70000, totalHigh: 9, freeHigh: 10}
	b := s.encode(8)
	var got unix.Sysinfo_t
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&got)), unsafe.Sizeof(got)), b)
	want := unix.Sysinfo_t{Uptime: 62, Loads: [3]uint64{65536, 2, 3}, Totalram: 256 * mib, Freeram: 200 * mib,
		Sharedram: 5, Bufferram: 6, Totalswap: 512 * mib, Freeswap: 500 * mib, Procs: 65535, Totalhigh: 9, Freehigh: 10, Unit: 1}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == "._" }, cmp.Ignore())); diff != "" {
		t.Errorf("encode(8) differs (-want +got):\n%s", diff)
	}
}
