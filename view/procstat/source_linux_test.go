package procstat

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeTree writes files (path relative to root: content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCPUTimesFromCgroupFiles(t *testing.T) {
	const g = "/vmhost-br/alice"
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, tt := range []struct {
		name  string
		v1    bool
		files map[string]string
		want  []CPUTime
	}{
		{"cgroup1 pinned to CPU 1, cpus 1", true, map[string]string{
			"cpuacct" + g + "/cpuacct.usage_all":    "cpu user system\n0 1000000 0\n1 30000000 20000000\n",
			"cpuset" + g + "/cpuset.effective_cpus": "1\n",
			"cpu" + g + "/cpu.cfs_quota_us":         "100000\n",
			"cpu" + g + "/cpu.cfs_period_us":        "100000\n",
		}, []CPUTime{{User: ms(31), System: ms(20)}}},
		{"cgroup1 without cpuset or quota: the host's CPUs", true, map[string]string{
			"cpuacct" + g + "/cpuacct.usage_all": "cpu user system\n0 1000000 2000000\n1 3000000 4000000\n",
			"cpu" + g + "/cpu.cfs_quota_us":      "-1\n",
		}, []CPUTime{{User: ms(1), System: ms(2)}, {User: ms(3), System: ms(4)}}},
		{"cgroup2 with cpus 1.5 over two CPUs", false, map[string]string{
			g + "/cpu.stat":              "usage_usec 50000\nuser_usec 40000\nsystem_usec 10000\n",
			g + "/cpu.max":               "150000 100000\n",
			g + "/cpuset.cpus.effective": "0-1\n",
		}, []CPUTime{{User: ms(20), System: ms(5)}, {User: ms(20), System: ms(5)}}},
		{"cgroup2 unlimited", false, map[string]string{
			g + "/cpu.stat": "user_usec 3000\nsystem_usec 1000\n",
			g + "/cpu.max":  "max 100000\n",
		}, []CPUTime{{User: ms(2) - ms(1)/2, System: ms(1) / 2}, {User: ms(1) + ms(1)/2, System: ms(1) / 2}}},
	} {
		root := t.TempDir()
		writeTree(t, root, tt.files)
		s := newSource(root, tt.v1, "/vmhost-br")
		s.online = 2
		got, err := s.cpuTimes(g)
		if err != nil {
			t.Errorf("cpuTimes(%s): %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("cpuTimes(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCPUTimesGroupGone(t *testing.T) {
	for _, v1 := range []bool{true, false} {
		s := newSource(t.TempDir(), v1, "/vmhost-br")
		if _, err := s.cpuTimes("/vmhost-br/gone"); err == nil {
			t.Errorf("cpuTimes of a group that is gone (v1 %v): no error", v1)
		}
	}
}

func TestCountTasksBounded(t *testing.T) {
	root := t.TempDir()
	self := os.Getpid()
	tasks := ""
	for i := 0; i < maxTasks+100; i++ {
		tasks += "999999999\n"
	}
	writeTree(t, root, map[string]string{"/vmhost-br/a/cgroup.threads": tasks + "x\n"})
	s := newSource(root, false, "/vmhost-br")
	if got := s.countTasks("/vmhost-br/a"); got != (Tasks{}) {
		t.Errorf("countTasks of threads that are gone = %+v, want none", got)
	}
	writeTree(t, root, map[string]string{"/vmhost-br/b/cgroup.threads": itoa(self) + "\n"})
	if got := s.countTasks("/vmhost-br/b"); got.Running+got.Blocked > 1 {
		t.Errorf("countTasks of one thread = %+v", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
