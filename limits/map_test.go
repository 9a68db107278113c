//go:build linux

package limits

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"

	"vmhost/config"
)

// full sets every limit.
var full = Spec{MemoryBytes: 1 << 30, MemorySwapBytes: 2 << 30, CPUs: 1.5, CPUWeight: 200, Pids: 64, IOWeight: 300}

// untouched is what every file of a fake tree holds before a test writes
// it, cgroup.procs aside (empty: no processes).
const untouched = "7"

// makeTree makes a fake cgroup tree under a temp dir: the files a kernel
// would show, each holding untouched.
func makeTree(t *testing.T, files []string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := untouched
		if filepath.Base(f) == "cgroup.procs" {
			content = ""
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// readTree returns the files under root a test wrote, by path.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if len(b) > 0 && string(b) != untouched {
			rel, _ := filepath.Rel(root, p)
			got[rel] = string(b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// v1Files are the files of the group g under vmhost-t in a cgroup1 tree;
// swap adds memsw, bfq and cfq the two I/O weights.
func v1Files(swap, bfq, cfq bool) []string {
	files := []string{
		"memory/vmhost-t/g/memory.limit_in_bytes", "memory/vmhost-t/g/cgroup.procs",
		"cpu/vmhost-t/g/cpu.cfs_quota_us", "cpu/vmhost-t/g/cpu.cfs_period_us", "cpu/vmhost-t/g/cpu.shares",
		"cpuacct/vmhost-t/g/cpuacct.usage", "pids/vmhost-t/g/pids.max", "blkio/vmhost-t/g/cgroup.procs",
		"devices/vmhost-t/g/devices.list",
	}
	if swap {
		files = append(files, "memory/vmhost-t/g/memory.memsw.limit_in_bytes")
	}
	if bfq {
		files = append(files, "blkio/vmhost-t/g/blkio.bfq.weight")
	}
	if cfq {
		files = append(files, "blkio/vmhost-t/g/blkio.weight")
	}
	return files
}

func TestMappingV1(t *testing.T) {
	tests := []struct {
		name           string
		spec           Spec
		swap, bfq, cfq bool
		want           map[string]string
	}{
		{"every limit", full, true, true, false, map[string]string{
			"memory/vmhost-t/g/memory.limit_in_bytes":       "1073741824",
			"memory/vmhost-t/g/memory.memsw.limit_in_bytes": "2147483648",
			"cpu/vmhost-t/g/cpu.cfs_quota_us":               "150000",
			"cpu/vmhost-t/g/cpu.cfs_period_us":              "100000",
			"cpu/vmhost-t/g/cpu.shares":                     "2048",
			"pids/vmhost-t/g/pids.max":                      "64",
			"blkio/vmhost-t/g/blkio.bfq.weight":             "300",
		}},
		{"no limits lifts them", Spec{}, true, true, true, map[string]string{
			"memory/vmhost-t/g/memory.limit_in_bytes":       "-1",
			"memory/vmhost-t/g/memory.memsw.limit_in_bytes": "-1",
			"cpu/vmhost-t/g/cpu.cfs_quota_us":               "-1",
			"cpu/vmhost-t/g/cpu.cfs_period_us":              "100000",
			"cpu/vmhost-t/g/cpu.shares":                     "1024",
			"pids/vmhost-t/g/pids.max":                      "max",
			"blkio/vmhost-t/g/blkio.bfq.weight":             "100",
			"blkio/vmhost-t/g/blkio.weight":                 "500",
		}},
		{"no swap accounting, CFQ", Spec{MemoryBytes: 64 << 20, MemorySwapBytes: 128 << 20, CPUs: 0.0001, CPUWeight: 1, IOWeight: 10000}, false, false, true, map[string]string{
			"memory/vmhost-t/g/memory.limit_in_bytes": "67108864",
			"cpu/vmhost-t/g/cpu.cfs_quota_us":         "1000",
			"cpu/vmhost-t/g/cpu.cfs_period_us":        "100000",
			"cpu/vmhost-t/g/cpu.shares":               "10",
			"pids/vmhost-t/g/pids.max":                "max",
			"blkio/vmhost-t/g/blkio.weight":           "1000",
		}},
	}
	for _, tt := range tests {
		root := makeTree(t, v1Files(tt.swap, tt.bfq, tt.cfq))
		c, err := NewV1(root, "vmhost-t")
		if err != nil {
			t.Fatal(err)
		}
		g, err := c.Open("g")
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Update(tt.spec); err != nil {
			t.Errorf("%s: Update(%+v) = %v", tt.name, tt.spec, err)
			continue
		}
		if diff := cmp.Diff(tt.want, readTree(t, root)); diff != "" {
			t.Errorf("%s: Update(%+v) wrote (-want +got):\n%s", tt.name, tt.spec, diff)
		}
	}
}

func TestNewV1NeedsDevices(t *testing.T) {
	var files []string
	for _, f := range v1Files(true, true, false) {
		if !strings.HasPrefix(f, "devices/") {
			files = append(files, f)
		}
	}
	if _, err := NewV1(makeTree(t, files), "vmhost-t"); err == nil || !strings.Contains(err.Error(), "devices controller is not mounted") {
		t.Errorf("NewV1 without the devices hierarchy = %v, want an error naming it", err)
	}
}

func TestMappingV1Missing(t *testing.T) {
	tests := []struct {
		spec  Spec
		drop  string
		error string
	}{
		{Spec{MemoryBytes: 1 << 30}, "memory.limit_in_bytes", "this host cannot limit memory"},
		{Spec{Pids: 5}, "pids.max", "this host cannot limit processes"},
		{Spec{CPUs: 1}, "cpu.cfs_quota_us", "this host cannot limit CPU time"},
		{Spec{CPUWeight: 5}, "cpu.shares", "this host cannot limit the CPU weight"},
	}
	for _, tt := range tests {
		var files []string
		for _, f := range v1Files(true, true, false) {
			if !strings.HasSuffix(f, "/"+tt.drop) {
				files = append(files, f)
			}
		}
		c, err := NewV1(makeTree(t, files), "vmhost-t")
		if err != nil {
			t.Fatal(err)
		}
		g, _ := c.Open("g")
		if err := g.Update(tt.spec); err == nil || !strings.Contains(err.Error(), tt.error) {
			t.Errorf("Update(%+v) without %s = %v, want %q", tt.spec, tt.drop, err, tt.error)
		}
	}
}

// v2Files are the files of the group g under vmhost-t in a cgroup2 tree.
func v2Files(swap, bfq, iocost bool) []string {
	files := []string{"vmhost-t/g/cgroup.procs", "vmhost-t/g/memory.max", "vmhost-t/g/memory.oom.group",
		"vmhost-t/g/cpu.max", "vmhost-t/g/cpu.weight", "vmhost-t/g/pids.max"}
	if swap {
		files = append(files, "vmhost-t/g/memory.swap.max")
	}
	if bfq {
		files = append(files, "vmhost-t/g/io.bfq.weight")
	}
	if iocost {
		files = append(files, "vmhost-t/g/io.weight")
	}
	return files
}

func TestMappingV2(t *testing.T) {
	tests := []struct {
		name              string
		spec              Spec
		swap, bfq, iocost bool
		want              map[string]string
	}{
		{"every limit", full, true, true, true, map[string]string{
			"vmhost-t/g/memory.max":       "1073741824",
			"vmhost-t/g/memory.swap.max":  "1073741824",
			"vmhost-t/g/memory.oom.group": "0",
			"vmhost-t/g/cpu.max":          "150000 100000",
			"vmhost-t/g/cpu.weight":       "200",
			"vmhost-t/g/pids.max":         "64",
			"vmhost-t/g/io.bfq.weight":    "300",
			"vmhost-t/g/io.weight":        "default 300",
		}},
		{"no limits lifts them", Spec{}, true, true, true, map[string]string{
			"vmhost-t/g/memory.max":       "max",
			"vmhost-t/g/memory.swap.max":  "max",
			"vmhost-t/g/memory.oom.group": "0",
			"vmhost-t/g/cpu.max":          "max 100000",
			"vmhost-t/g/cpu.weight":       "100",
			"vmhost-t/g/pids.max":         "max",
			"vmhost-t/g/io.bfq.weight":    "100",
			"vmhost-t/g/io.weight":        "default 100",
		}},
		{"no swap, no swap accounting, no I/O weight", Spec{MemoryBytes: 64 << 20, MemorySwapBytes: 64 << 20, IOWeight: 9000, CPUWeight: 10000}, false, false, false, map[string]string{
			"vmhost-t/g/memory.max":       "67108864",
			"vmhost-t/g/memory.oom.group": "0",
			"vmhost-t/g/cpu.max":          "max 100000",
			"vmhost-t/g/cpu.weight":       "10000",
			"vmhost-t/g/pids.max":         "max",
		}},
		{"BFQ caps the weight", Spec{MemoryBytes: 64 << 20, MemorySwapBytes: 64 << 20, IOWeight: 9000}, true, true, false, map[string]string{
			"vmhost-t/g/memory.max":       "67108864",
			"vmhost-t/g/memory.swap.max":  "0",
			"vmhost-t/g/memory.oom.group": "0",
			"vmhost-t/g/cpu.max":          "max 100000",
			"vmhost-t/g/cpu.weight":       "100",
			"vmhost-t/g/pids.max":         "max",
			"vmhost-t/g/io.bfq.weight":    "1000",
		}},
	}
	for _, tt := range tests {
		root := makeTree(t, v2Files(tt.swap, tt.bfq, tt.iocost))
		c, err := NewV2(root, "vmhost-t")
		if err != nil {
			t.Fatal(err)
		}
		g, _ := c.Open("g")
		if err := g.Update(tt.spec); err != nil {
			t.Errorf("%s: Update(%+v) = %v", tt.name, tt.spec, err)
			continue
		}
		if diff := cmp.Diff(tt.want, readTree(t, root)); diff != "" {
			t.Errorf("%s: Update(%+v) wrote (-want +got):\n%s", tt.name, tt.spec, diff)
		}
	}
}

func TestMappingV2Missing(t *testing.T) {
	root := makeTree(t, []string{"vmhost-t/g/cgroup.procs"}) // no controllers, like a hybrid host's
	c, _ := NewV2(root, "vmhost-t")
	g, _ := c.Open("g")
	if err := g.Update(Spec{}); err != nil {
		t.Errorf("Update(no limits) with no controllers = %v, want nil", err)
	}
	for _, s := range []Spec{{MemoryBytes: 1 << 30}, {CPUs: 1}, {CPUWeight: 5}, {Pids: 5}} {
		if err := g.Update(s); err == nil || !strings.Contains(err.Error(), "this host cannot limit") {
			t.Errorf("Update(%+v) with no controllers = %v, want an error saying the host cannot", s, err)
		}
	}
}

func TestSpecFrom(t *testing.T) {
	tests := []struct {
		in   config.Limits
		want Spec
	}{
		{config.Limits{}, Spec{}},
		{config.Limits{Memory: 512 * config.MiB}, Spec{MemoryBytes: 512 << 20, MemorySwapBytes: 1 << 30}},
		{config.Limits{Memory: config.GiB, Swap: config.GiB, CPUs: 0.5, CPUWeight: 50, Pids: 100, IOWeight: 20},
			Spec{MemoryBytes: 1 << 30, MemorySwapBytes: 1 << 30, CPUs: 0.5, CPUWeight: 50, Pids: 100, IOWeight: 20}},
	}
	for _, tt := range tests {
		if got := SpecFrom(tt.in); got != tt.want {
			t.Errorf("SpecFrom(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestOpenRefusesPaths(t *testing.T) {
	c, _ := NewV2(t.TempDir(), "vmhost-t")
	for _, id := range []string{"", ".", "..", "a/b", "../x"} {
		if _, err := c.Open(id); err == nil {
			t.Errorf("Open(%q) = nil error, want one", id)
		}
	}
	for _, parent := range []string{"", "/", "..", "a/../.."} {
		if _, err := NewV2(t.TempDir(), parent); err == nil {
			t.Errorf("NewV2(parent %q) = nil error, want one", parent)
		}
	}
}

func TestCgroupPaths(t *testing.T) {
	in := []procfs.Cgroup{{HierarchyID: 9, Controllers: []string{"name=systemd"}, Path: "/"},
		{HierarchyID: 2, Controllers: []string{"cpu", "cpuacct"}, Path: "/a"}, {HierarchyID: 0, Path: "/d"}}
	want := map[string]string{"name=systemd": "/", "cpu": "/a", "cpuacct": "/a", "": "/d"}
	if got := cgroupPaths(in); !cmp.Equal(got, want) {
		t.Errorf("cgroupPaths(%v) = %v, want %v", in, got, want)
	}
}

// parseCgroupFile reads a /proc/PID/cgroup file, as the tests get them: the path of each cgroup1
// controller ("cpu", "cpuacct" for a "cpu,cpuacct" line) and of cgroup2
// (under the key "").
func parseCgroupFile(b []byte) map[string]string {
	paths := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			paths[c] = f[2]
		}
	}
	return paths
}

func TestParseCgroupFile(t *testing.T) {
	in := "9:name=systemd:/\n2:cpu,cpuacct:/a\n4:memory:/b/c\n0::/d\n"
	want := map[string]string{"name=systemd": "/", "cpu": "/a", "cpuacct": "/a", "memory": "/b/c", "": "/d"}
	if got := parseCgroupFile([]byte(in)); !cmp.Equal(got, want) {
		t.Errorf("parseCgroupFile(%q) = %v, want %v", in, got, want)
	}
}
