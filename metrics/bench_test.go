package metrics

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// benchGuests is the guest count of the scrape benchmarks.
const benchGuests = 1000

// BenchmarkScrape1000 measures one scrape of /metrics, encoding included,
// with 1,000 running guests whose cgroup and interface files are fake
// files on the test's temporary directory, its /proc/net/dev a fake table
// of 1,000 interfaces (see BenchmarkScrape1000Cgroups
// for the kernel's own cgroup files).
func BenchmarkScrape1000(b *testing.B) {
	root := b.TempDir()
	src := &fakeSource{disks: map[string]Disk{}}
	for i := range benchGuests {
		id := fmt.Sprintf("u%04d", i)
		dir := filepath.Join(root, "cg", id)
		writeFiles(b, dir, v2Files(i*1000, 1<<20))
		fakeVeth(b, filepath.Join(root, "net", "dev"), "vh"+id, i, i, i, i)
		src.guests = append(src.guests, Guest{ID: id, Owner: id, State: "running", Running: true,
			Started: started, CgroupDirs: map[string]string{"": dir}, Veth: "vh" + id})
	}
	benchScrape(b, src, filepath.Join(root, "net", "dev"))
}

// BenchmarkScrape1000Cgroups measures one scrape with 1,000 guests whose
// groups are real, empty cgroups made by the benchmark (the kernel's own
// files: memory.stat is built at each read), and whose interface is the
// host's lo, in the host's /proc/net/dev. It needs root and cgroup1 or
// cgroup2.
func BenchmarkScrape1000Cgroups(b *testing.B) {
	src := &fakeSource{disks: map[string]Disk{}}
	parents := realCgroupParents(b)
	for i := range benchGuests {
		id := fmt.Sprintf("u%04d", i)
		dirs := map[string]string{}
		for ctrl, parent := range parents {
			dirs[ctrl] = filepath.Join(parent, id)
			if err := os.Mkdir(dirs[ctrl], 0o755); err != nil {
				b.Fatal(err)
			}
		}
		src.guests = append(src.guests, Guest{ID: id, Owner: id, State: "running", Running: true,
			Started: started, CgroupDirs: dirs, Veth: "lo"})
	}
	benchScrape(b, src, DefaultNetDev)
}

// realCgroupParents makes a parent group of the benchmark's own in each
// hierarchy a guest uses, removed with its children when the benchmark
// ends, and returns them by ReadUsage's keys.
func realCgroupParents(b *testing.B) map[string]string {
	if os.Geteuid() != 0 {
		b.Skip("making cgroups needs root")
	}
	name := fmt.Sprintf("vmhost-metrics-bench-%d", os.Getpid())
	parents := map[string]string{}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		parents[""] = filepath.Join("/sys/fs/cgroup", name)
	} else {
		for _, c := range []string{"memory", "cpuacct", "pids", "blkio"} {
			parents[c] = filepath.Join("/sys/fs/cgroup", c, name)
		}
	}
	for _, p := range parents {
		if err := os.Mkdir(p, 0o755); err != nil {
			b.Skipf("making a cgroup: %v", err)
		}
		b.Cleanup(func() { removeGroups(p) })
	}
	return parents
}

// removeGroups removes the empty group p and its children. Equivalent to:
// `rmdir P/* P`.
func removeGroups(p string) {
	entries, _ := os.ReadDir(p)
	for _, e := range entries {
		if e.IsDir() {
			os.Remove(filepath.Join(p, e.Name()))
		}
	}
	os.Remove(p)
}

// benchScrape serves one scrape per iteration, through the HTTP handler.
func benchScrape(b *testing.B, src Source, netDev string) {
	d := NewDaemon()
	reg := prometheus.NewRegistry()
	c := NewCollector(d, netDev)
	c.Attach(src, fakeSSH{})
	reg.MustRegister(c)
	reg.MustRegister(d.collectors()...)
	srv := NewServer(reg, slog.New(slog.DiscardHandler))
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.handler.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("scrape: %d %s", w.Code, w.Body.String()[:200])
		}
		b.SetBytes(int64(w.Body.Len()))
	}
}
