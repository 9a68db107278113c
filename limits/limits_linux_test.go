package limits

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"
)

// requireRoot skips a test that needs root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: making cgroups needs root")
	}
}

// testParent is a parent group name unique to this test run.
func testParent() string {
	return fmt.Sprintf("vmhost-test-%06x", rand.IntN(1<<24))
}

// newTestController returns the Controller of this host's hierarchy and
// removes its parent groups when the test ends.
func newTestController(t *testing.T) *Controller {
	t.Helper()
	requireRoot(t)
	c, err := New(testParent())
	if err != nil {
		t.Skipf("skipping: no usable cgroup hierarchy: %v", err)
	}
	t.Cleanup(func() { removeParent(t, c) })
	return c
}

// removeParent removes the controller's parent group in every hierarchy,
// after the groups in it.
func removeParent(t *testing.T, c *Controller) {
	g, _ := c.Open("x")
	for _, dir := range g.Dirs() {
		parent := filepath.Dir(dir)
		kids, _ := os.ReadDir(parent)
		for _, k := range kids {
			if k.IsDir() {
				rmdirWait(t, filepath.Join(parent, k.Name()))
			}
		}
		rmdirWait(t, parent)
	}
}

// rmdirWait removes a cgroup directory, waiting a little for it to empty.
func rmdirWait(t *testing.T, dir string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("removing cgroup %s: %v", dir, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startIn starts argv in g, in a process group of its own that the test kills
// at its end.
func startIn(t *testing.T, g *Group, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: unix.CLONE_NEWCGROUP}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := g.Start(cmd); err != nil {
		t.Fatalf("Start(%q) = %v", argv, err)
	}
	t.Cleanup(func() { killGroup(cmd) })
	return cmd
}

// killGroup kills the process group of cmd and waits for cmd.
func killGroup(cmd *exec.Cmd) {
	unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	cmd.Wait()
}

// cgroupOf reads /proc/PID/cgroup, by controller ("" for cgroup2).
func cgroupOf(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	return parseCgroupFile(b)
}

// checkMember fails the test unless pid is in g in every hierarchy g uses.
func checkMember(t *testing.T, g *Group, pid int) {
	t.Helper()
	got := cgroupOf(t, pid)
	for ctrl := range g.Dirs() {
		if got[ctrl] != g.Path() {
			t.Errorf("process %d is in %q of controller %q, want %q (all: %v)", pid, got[ctrl], ctrl, g.Path(), got)
		}
	}
}

// readFile reads a file of the group in controller ctrl.
func readFile(t *testing.T, g *Group, ctrl, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(g.Dirs()[ctrl], file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// pidsController is the key of the pids controller in Dirs.
func pidsController(g *Group) string {
	if _, ok := g.Dirs()["pids"]; ok {
		return "pids"
	}
	return ""
}

// checkThreadsHome fails the test when a thread of this process is in g:
// the thread Start moved into g must have gone back.
func checkThreadsHome(t *testing.T, g *Group) {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "cgroup"))
		if err != nil {
			continue // the thread ended
		}
		for ctrl, p := range parseCgroupFile(b) {
			if p == g.Path() {
				t.Errorf("thread %s of the test is still in %s of controller %q", task.Name(), p, ctrl)
			}
		}
	}
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkGone fails the test unless every directory of g is gone.
func checkGone(t *testing.T, g *Group) {
	t.Helper()
	for ctrl, dir := range g.Dirs() {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the group's directory of controller %q, %s, is still there (%v)", ctrl, dir, err)
		}
	}
}

func TestGroupLifecycle(t *testing.T) {
	checkLifecycle(t, newTestController(t))
}

func TestGroupLifecycleV2(t *testing.T) {
	checkLifecycle(t, newV2TestController(t, true))
}

// checkLifecycle creates a group, starts a process in it, changes its
// limits, reads its stats and deletes it.
func checkLifecycle(t *testing.T, c *Controller) {
	g, err := c.Create("alice+web", Spec{MemoryBytes: 64 << 20, MemorySwapBytes: 64 << 20, CPUs: 0.5, Pids: 20})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if err := c.RemoveParent(); err != nil {
		t.Errorf("RemoveParent with a guest's group in it = %v, want nil (it stays)", err)
	}
	cmd := startIn(t, g, "/bin/sh", "-c", `i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; exec sleep 1000`)
	checkMember(t, g, cmd.Process.Pid)
	checkThreadsHome(t, g)
	if err := g.Update(Spec{MemoryBytes: 128 << 20, MemorySwapBytes: 256 << 20, CPUs: 1, Pids: 30}); err != nil {
		t.Fatalf("Update = %v", err)
	}
	if got := readFile(t, g, pidsController(g), "pids.max"); got != "30" {
		t.Errorf("pids.max after Update = %q, want 30", got)
	}
	var st Stats
	waitFor(t, "CPU time in Stats", func() bool {
		st, err = g.Stats()
		return err != nil || st.CPU > 0
	})
	t.Logf("Stats() = %+v", st)
	if err != nil || st.Processes < 1 || st.MemoryBytes <= 0 {
		t.Errorf("Stats() = %+v, %v, want CPU, processes and memory above 0", st, err)
	}
	killGroup(cmd)
	if err := g.Delete(); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	checkGone(t, g)
	if err := g.Delete(); err != nil {
		t.Errorf("Delete of a deleted group = %v, want nil", err)
	}
	if _, err := g.Stats(); !errors.Is(err, ErrNotExist) {
		t.Errorf("Stats of a deleted group = %v, want ErrNotExist", err)
	}
	if err := c.RemoveParent(); err != nil {
		t.Errorf("RemoveParent = %v", err)
	}
	for ctrl, dir := range c.h.dirs(c.parent) {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after RemoveParent, the parent of controller %q, %s, is still there (%v)", ctrl, dir, err)
		}
	}
}

func TestGroupNamespaceRoot(t *testing.T) {
	c := newTestController(t)
	g, err := c.Create("alice", Spec{Pids: 10})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	checkSeesRoot(t, g)
}

// checkSeesRoot starts a process in g in a new cgroup namespace and checks
// that it sees its cgroup as "/" in every hierarchy.
func checkSeesRoot(t *testing.T, g *Group) {
	t.Helper()
	cmd := exec.Command("/bin/cat", "/proc/self/cgroup")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWCGROUP}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := g.Start(cmd); err != nil {
		t.Fatalf("Start = %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cat /proc/self/cgroup: %v", err)
	}
	seen := parseCgroupFile(out.Bytes())
	for ctrl := range g.Dirs() {
		if p, ok := seen[ctrl]; !ok || p != "/" {
			t.Errorf("inside its cgroup namespace, the child sees %q for controller %q, want \"/\" (all: %q)", p, ctrl, out.String())
		}
	}
}

func TestPidsLimitStopsForks(t *testing.T) {
	c := newTestController(t)
	g, err := c.Create("bomb", Spec{Pids: 5})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	startIn(t, g, "/bin/sh", "-c", `for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done; wait`)
	ctrl := pidsController(g)
	waitFor(t, "refused fork (pids.events max)", func() bool {
		ev := readFile(t, g, ctrl, "pids.events")
		return ev != "" && !strings.HasSuffix(ev, " 0")
	})
	st, err := g.Stats()
	if err != nil || st.Processes > 5 {
		t.Errorf("Stats() = %+v, %v, want at most 5 processes", st, err)
	}
}

func TestCreateLeftover(t *testing.T) {
	c := newTestController(t)
	g, err := c.Create("left", Spec{Pids: 7})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	g, err = c.Create("left", Spec{Pids: 9})
	if err != nil {
		t.Fatalf("Create over an empty leftover = %v", err)
	}
	if got := readFile(t, g, pidsController(g), "pids.max"); got != "9" {
		t.Errorf("pids.max after Create over a leftover = %q, want 9", got)
	}
	cmd := startIn(t, g, "/bin/sleep", "1000")
	if _, err := c.Create("left", Spec{}); err == nil || !strings.Contains(err.Error(), "still has processes") {
		t.Errorf("Create over a group with a process = %v, want an error naming the processes", err)
	}
	killGroup(cmd)
	if _, err := c.Create("left", Spec{}); err != nil {
		t.Errorf("Create after the process ended = %v", err)
	}
}

// cgroup2Mount returns where cgroup2 is mounted, or "".
func cgroup2Mount(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if x == "-" && i+1 < len(f) && f[i+1] == "cgroup2" {
				return f[4]
			}
		}
	}
	return ""
}

// newV2TestController returns a cgroup2 Controller of this host, skipping
// when there is no cgroup2 hierarchy, or, with controllers set, when it has
// no controllers (a hybrid host's).
func newV2TestController(t *testing.T, controllers bool) *Controller {
	t.Helper()
	requireRoot(t)
	mount := cgroup2Mount(t)
	if mount == "" {
		t.Skip("skipping: no cgroup2 hierarchy is mounted")
	}
	use, err := (&v2{mount: mount}).available()
	if controllers && (err != nil || len(use) < 3) {
		t.Skipf("skipping: the cgroup2 hierarchy at %s lacks the cpu, memory or pids controller (has %v: a hybrid host, where the cgroup1 tests cover limits)", mount, use)
	}
	c, err := NewV2(mount, testParent())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeParent(t, c) })
	return c
}

func TestV2StartIntoCgroup(t *testing.T) {
	c := newV2TestController(t, false)
	if cgroups.Mode() == cgroups.Unified {
		t.Log("a unified host: TestGroupLifecycle covers cgroup2 with limits too")
	}
	g, err := c.Create("alice", Spec{})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	cmd := startIn(t, g, "/bin/sleep", "1000")
	checkMember(t, g, cmd.Process.Pid)
	checkSeesRoot(t, g)
	killGroup(cmd)
	if err := g.Delete(); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	checkGone(t, g)
}
