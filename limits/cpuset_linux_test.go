package limits

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestPin(t *testing.T) {
	checkPin(t, newTestController(t))
}

func TestPinV2(t *testing.T) {
	checkPin(t, newV2TestController(t, true))
}

// checkPin pins a group to the last CPU and back to every CPU, and checks
// what its process may run on.
func checkPin(t *testing.T, c *Controller) {
	all, err := c.CPUs()
	if errors.Is(err, ErrNoCpuset) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil || len(all) == 0 {
		t.Fatalf("CPUs() = %v, %v; want the host's CPUs", all, err)
	}
	if len(all) != runtime.NumCPU() {
		t.Logf("CPUs() = %v, this process may use %d", all, runtime.NumCPU())
	}
	g, err := c.Create("alice", Spec{CPUs: 1})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	last := all[len(all)-1:]
	if err := g.Pin(last); err != nil {
		t.Fatalf("Pin(%v) = %v", last, err)
	}
	if got, err := g.Pinned(); err != nil || !slices.Equal(got, last) {
		t.Errorf("Pinned() after Pin(%v) = %v, %v", last, got, err)
	}
	cmd := startIn(t, g, "/bin/sleep", "1000")
	if got := allowedCPUs(t, cmd.Process.Pid); got != FormatCPUs(last) {
		t.Errorf("a process started in the pinned group may run on %q, want %q", got, FormatCPUs(last))
	}
	if got := allowedCPUs(t, os.Getpid()); got == FormatCPUs(last) && len(all) > 1 {
		t.Errorf("after starting a process in the group, this process may run on %q only: Start left a thread pinned", got)
	}
	if err := g.Update(Spec{CPUs: 0.5}); err != nil {
		t.Fatalf("Update = %v", err)
	}
	if got, _ := g.Pinned(); !slices.Equal(got, last) {
		t.Errorf("Pinned() after Update = %v, want the pin kept, %v", got, last)
	}
	if err := g.Pin(nil); err != nil {
		t.Fatalf("Pin(nil) = %v", err)
	}
	if got, err := g.Pinned(); err != nil || got != nil {
		t.Errorf("Pinned() after Pin(nil) = %v, %v; want none", got, err)
	}
	if got := allowedCPUs(t, cmd.Process.Pid); got != FormatCPUs(all) {
		t.Errorf("after Pin(nil), the process may run on %q, want every CPU, %q", got, FormatCPUs(all))
	}
	killGroup(cmd)
	if err := g.Delete(); err != nil {
		t.Fatalf("Delete = %v", err)
	}
}

// allowedCPUs reads the Cpus_allowed_list of pid.
func allowedCPUs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list in /proc/%d/status", pid)
	return ""
}
