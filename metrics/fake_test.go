package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// v2Files are the files of a fake cgroup2 group.
func v2Files(cpuUsec, mem int) map[string]string {
	return map[string]string{
		"cpu.stat":            "usage_usec " + itoa(cpuUsec) + "\nuser_usec 1\nsystem_usec 2\n",
		"memory.current":      itoa(mem) + "\n",
		"memory.stat":         "anon 100\nfile 200\ninactive_file 1000\nactive_file 5\n",
		"memory.max":          "536870912\n",
		"memory.swap.current": "4096\n",
		"memory.events":       "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n",
		"pids.current":        "7\n",
		"pids.max":            "max\n",
		"io.stat":             "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n",
	}
}

// v1Files are the files of a fake cgroup1 group, by controller.
func v1Files() map[string]map[string]string {
	return map[string]map[string]string{
		"memory": {
			"memory.usage_in_bytes":       "10000\n",
			"memory.stat":                 "cache 10\ntotal_inactive_file 3000\ntotal_active_file 1\n",
			"memory.limit_in_bytes":       "9223372036854771712\n",
			"memory.memsw.usage_in_bytes": "12000\n",
			"memory.oom_control":          "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n",
		},
		"cpuacct": {"cpuacct.usage": "2500000000\n"},
		"pids":    {"pids.current": "3\n", "pids.max": "512\n"},
		"blkio":   {"blkio.throttle.io_service_bytes": "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\nTotal 12288\n"},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// writeFiles writes files into dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// netDevHeader is the head of a /proc/net/dev table.
const netDevHeader = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
`

// fakeVeth adds the counters of a host veth end to the fake /proc/net/dev
// table at path, made with its header if missing.
func fakeVeth(t testing.TB, path, name string, rxB, txB, rxP, txP int) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		writeFiles(t, filepath.Dir(path), map[string]string{filepath.Base(path): netDevHeader})
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "%15s: %d %d 0 0 0 0 0 0 %d %d 0 0 0 0 0 0\n", name, rxB, rxP, txB, txP)
}

// fakeSource is a Source of a fixed list.
type fakeSource struct {
	mu     sync.Mutex
	guests []Guest
	disks  map[string]Disk
}

func (f *fakeSource) Guests() []Guest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Guest(nil), f.guests...)
}

func (f *fakeSource) Disk(id string) (Disk, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.disks[id]
	return d, ok
}

func (f *fakeSource) set(gs ...Guest) {
	f.mu.Lock()
	f.guests = gs
	f.mu.Unlock()
}

// fakeSSH is an SSHState of fixed numbers.
type fakeSSH struct{ preauth, penalized int }

func (f fakeSSH) PreAuthConnections() int { return f.preauth }
func (f fakeSSH) PenalizedSources() int   { return f.penalized }

// started is the start time of the fake guests.
var started = time.Unix(1_700_000_000, 500_000_000)
