package guestinit

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const mib = 1 << 20

func TestGuestSysinfo(t *testing.T) {
	host := sysinfo{uptime: 5 * time.Hour, loads: [3]uint64{1, 2, 3}, totalRAM: 24 << 30, freeRAM: 20 << 30,
		sharedRAM: 7, bufferRAM: 8, totalSwap: 2 << 30, freeSwap: 1 << 30, procs: 900, totalHigh: 1, freeHigh: 1}
	tests := []struct {
		name string
		c    memCounts
		want sysinfo
	}{
		{"limits", memCounts{memMax: 256 * mib, memUsed: 56 * mib, swapMax: 512 * mib, swapUsed: 12 * mib, tasks: 14},
			sysinfo{uptime: time.Minute, loads: host.loads, totalRAM: 256 * mib, freeRAM: 200 * mib,
				totalSwap: 512 * mib, freeSwap: 500 * mib, procs: 14}},
		{"more than the host", memCounts{memMax: 64 << 30, memUsed: 4 << 30, swapMax: -1, swapUsed: 0, tasks: 3},
			sysinfo{uptime: time.Minute, loads: host.loads, totalRAM: 24 << 30, freeRAM: 20 << 30,
				totalSwap: 2 << 30, freeSwap: 2 << 30, procs: 3}},
		{"over the limit", memCounts{memMax: 256 * mib, memUsed: 300 * mib, swapMax: 0, swapUsed: 0, tasks: 1},
			sysinfo{uptime: time.Minute, loads: host.loads, totalRAM: 256 * mib, freeRAM: 0, procs: 1}},
		{"unknown", memCounts{memMax: -1, memUsed: -1, swapMax: -1, swapUsed: -1, tasks: -1},
			sysinfo{uptime: time.Minute, loads: host.loads, totalRAM: host.totalRAM, freeRAM: host.freeRAM,
				totalSwap: host.totalSwap, freeSwap: host.freeSwap, procs: 900}},
	}
	for _, tt := range tests {
		got := guestSysinfo(host, tt.c, time.Minute)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sysinfo{})); diff != "" {
			t.Errorf("%s: guestSysinfo differs (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseCgroupValue(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"268435456\n", 268435456}, {"max\n", -1}, {"9223372036854771712\n", -1}, {"0\n", 0}, {"junk", -1}, {"-5", -1},
	}
	for _, tt := range tests {
		if got := parseCgroupValue([]byte(tt.in)); got != tt.want {
			t.Errorf("parseCgroupValue(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestSysinfoEncode32 checks struct compat_sysinfo: 32-bit longs, amounts
// scaled to a unit that fits them.
func TestSysinfoEncode32(t *testing.T) {
	s := sysinfo{uptime: 10 * time.Second, loads: [3]uint64{1, 2, 3}, totalRAM: 24 << 30, freeRAM: 20 << 30,
		totalSwap: 512 * mib, freeSwap: 500 * mib, procs: 14}
	b := s.encode(4)
	le := binary.LittleEndian
	got := map[string]uint64{
		"size": uint64(len(b)), "uptime": uint64(le.Uint32(b[0:])), "load15": uint64(le.Uint32(b[12:])),
		"totalram": uint64(le.Uint32(b[16:])), "freeram": uint64(le.Uint32(b[20:])), "totalswap": uint64(le.Uint32(b[32:])),
		"procs": uint64(le.Uint16(b[40:])), "mem_unit": uint64(le.Uint32(b[52:])),
	}
	want := map[string]uint64{
		"size": 64, "uptime": 10, "load15": 3,
		"totalram": 24 << 30 / 8, "freeram": 20 << 30 / 8, "totalswap": 512 * mib / 8,
		"procs": 14, "mem_unit": 8,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("encode(4) differs (-want +got):\n%s", diff)
	}
}
