package disks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMkfsArgs(t *testing.T) {
	tests := []struct {
		l    Limits
		want string
	}{
		{Limits{Bytes: 64 << 20}, "-q -F -t ext4 -b 4096 -m 0 -E lazy_journal_init=1 f.img 18432"},
		{Limits{Bytes: 64 << 20, Inodes: 5000}, "-q -F -t ext4 -b 4096 -m 0 -E lazy_journal_init=1 -N 5000 f.img 18432"},
	}
	for _, tt := range tests {
		if got := strings.Join(mkfsArgs("f.img", 18432, tt.l), " "); got != tt.want {
			t.Errorf("mkfsArgs(%+v) = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestCheckResize(t *testing.T) {
	type result struct {
		Grow bool
		Err  bool
	}
	tests := []struct {
		usable, want int64
		res          result
	}{
		{100 << 20, 0, result{}},
		{100 << 20, 100 << 20, result{}},
		{100 << 20, 100<<20 - 4096, result{Err: true}},
		{100 << 20, 200 << 20, result{Grow: true}},
		{100 << 20, 100<<20 + 1, result{Grow: true}},
		{100 << 20, 50 << 20, result{Err: true}},
	}
	for _, tt := range tests {
		grow, err := checkResize(tt.usable, tt.want)
		if got := (result{grow, err != nil}); got != tt.res {
			t.Errorf("checkResize(%d, %d) = %+v (%v), want %+v", tt.usable, tt.want, got, err, tt.res)
		}
	}
}

func TestNextBlocks(t *testing.T) {
	got := []int64{nextBlocks(1000, 3000*blockSize, 3000*blockSize+1), nextBlocks(1000, 0, 10*blockSize)}
	if want := []int64{1002, 1012}; !cmp.Equal(got, want) {
		t.Errorf("nextBlocks = %v, want %v", got, want)
	}
}

func TestUeventDevName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"MAJOR=7\nMINOR=3\nDEVNAME=loop3\nDEVTYPE=disk\n", "loop3", true},
		{"MAJOR=7\nMINOR=3\n", "", false},
		{"DEVNAME=../sda\n", "", false},
	}
	for _, tt := range tests {
		got, ok := ueventDevName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ueventDevName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseDumpe2fs(t *testing.T) {
	out := "Filesystem volume name:   <none>\nInode count:              7680\nBlock count:              7680\nReserved block count:     0\nOverhead clusters:        1511\nFree blocks:              6163\n"
	tests := []struct {
		in   string
		want superblockInfo
		ok   bool
	}{
		{out, superblockInfo{Blocks: 7680, Overhead: 1511}, true},
		{"Block count:              7680\n", superblockInfo{Blocks: 7680}, false},
		{"", superblockInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := parseDumpe2fs(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDumpe2fs(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := (superblockInfo{Blocks: 7680, Overhead: 1511}).usable(); got != 6169*blockSize {
		t.Errorf("usable = %d, want %d", got, 6169*blockSize)
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"alice", true}, {"alice+web", true}, {"", false}, {"..", false}, {".creating-x", false},
		{"a/b", false}, {"a\x00b", false},
	}
	for _, tt := range tests {
		if err := checkID(tt.id); (err == nil) != tt.ok {
			t.Errorf("checkID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
	}
}
