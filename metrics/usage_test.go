package metrics

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadUsage(t *testing.T) {
	root := t.TempDir()
	v2 := filepath.Join(root, "v2", "alice")
	writeFiles(t, v2, v2Files(1_500_000, 5000))
	v1 := map[string]string{}
	for ctrl, files := range v1Files() {
		v1[ctrl] = filepath.Join(root, ctrl, "alice")
		writeFiles(t, v1[ctrl], files)
	}
	tests := []struct {
		name string
		dirs map[string]string
		want Usage
	}{
		{"cgroup2", map[string]string{"": v2}, Usage{CPUSeconds: 1.5, MemoryBytes: 4000, MemoryLimitBytes: 512 << 20,
			SwapBytes: 4096, Pids: 7, OOMKills: 2, IOReadBytes: 101, IOWriteBytes: 202}},
		{"cgroup1", v1, Usage{CPUSeconds: 2.5, MemoryBytes: 7000, SwapBytes: 2000, Pids: 3, PidsLimit: 512,
			OOMKills: 4, IOReadBytes: 4096, IOWriteBytes: 8192}},
	}
	for _, tt := range tests {
		got, err := ReadUsage(tt.dirs)
		if err != nil {
			t.Errorf("%s: ReadUsage: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ReadUsage (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestReadUsageGone(t *testing.T) {
	for _, dirs := range []map[string]string{
		{"": filepath.Join(t.TempDir(), "gone")},
		{"memory": filepath.Join(t.TempDir(), "gone")},
	} {
		if u, err := ReadUsage(dirs); err == nil {
			t.Errorf("ReadUsage(%v) = %+v, want an error", dirs, u)
		}
	}
}

func TestReadUsageBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "big")
	files := v2Files(1, 1)
	big := make([]byte, maxFile+1)
	for i := range big {
		big[i] = '1'
	}
	files["memory.current"] = string(big)
	writeFiles(t, dir, files)
	if u, err := ReadUsage(map[string]string{"": dir}); err == nil {
		t.Errorf("ReadUsage of a memory.current of %d bytes = %+v, want an error", len(big), u)
	}
}

func TestReadNetDev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev")
	fakeVeth(t, path, "lo", 5, 5, 1, 1)
	fakeVeth(t, path, "vh0123", 10, 20, 1, 2)
	fakeVeth(t, path, "vh4567", 30, 40, 3, 4)
	got, err := ReadNetDev(path, map[string]bool{"vh0123": true, "vhgone": true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]NetUsage{"vh0123": {ReceiveBytes: 20, TransmitBytes: 10, ReceivePackets: 2, TransmitPackets: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadNetDev (-want +got):\n%s", diff)
	}
	writeFiles(t, filepath.Dir(path), map[string]string{"dev": netDevHeader + "vh0123: 1 2 x\n"})
	if got, _ := ReadNetDev(path, map[string]bool{"vh0123": true}); len(got) != 0 {
		t.Errorf("ReadNetDev of a short line = %v, want nothing", got)
	}
	if _, err := ReadNetDev(filepath.Join(t.TempDir(), "gone"), nil); err == nil {
		t.Errorf("ReadNetDev of a missing file: no error")
	}
}

func TestParsers(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"42\n", 42, true}, {"max\n", 0, true}, {"-1\n", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseUint([]byte(tt.in))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseUint(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if v, ok := keyValue([]byte("a 1\nusage_usec 9\n"), "usage_usec"); v != 9 || !ok {
		t.Errorf("keyValue = %d, %v; want 9, true", v, ok)
	}
	if _, ok := keyValue([]byte("usage_usec_x 9\n"), "usage_usec"); ok {
		t.Errorf("keyValue matched a longer key")
	}
}
