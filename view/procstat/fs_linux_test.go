package procstat

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"

	"vmhost/limits"
)

// requireFUSE skips a test without root or /dev/fuse.
func requireFUSE(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: mounting FUSE and making cgroups needs root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("skipping: no /dev/fuse")
	}
}

// testGuest is a guest-like group with the server mounted for its parent.
type testGuest struct {
	mnt string
	c   *limits.Controller
	g   *limits.Group
}

// newTestGuest makes a group below a parent of its own with one CPU
// (pinned to the host's last CPU) and mounts the server for that parent;
// both go when the test ends.
func newTestGuest(t testing.TB) *testGuest {
	t.Helper()
	requireFUSE(t)
	c, err := limits.New(fmt.Sprintf("vmhost-pstest-%06x", rand.IntN(1<<24)))
	if err != nil {
		t.Skipf("skipping: no usable cgroup hierarchy: %v", err)
	}
	g, err := c.Create("g", limits.Spec{CPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Delete(); err != nil {
			t.Errorf("removing the test group: %v", err)
		}
		if err := c.RemoveParent(); err != nil {
			t.Errorf("removing the test parent: %v", err)
		}
	})
	if cpus, err := c.CPUs(); err == nil && len(cpus) > 1 {
		if err := g.Pin(cpus[len(cpus)-1:]); err != nil {
			t.Logf("not pinned: %v", err)
		}
	}
	mnt := t.TempDir()
	srv, err := Mount(Options{Mountpoint: mnt, CgroupRoot: limits.DefaultRoot, V1: cgroups.Mode() != cgroups.Unified,
		Parent: c.Parent(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Unmount(); err != nil {
			t.Errorf("unmounting: %v", err)
			unix.Unmount(mnt, unix.MNT_DETACH)
		}
	})
	return &testGuest{mnt: mnt, c: c, g: g}
}

// run runs the shell script in the guest's group, with $F the server's
// g/proc/stat (the guest's file), and returns its output.
func (tg *testGuest) run(t testing.TB, script string) string {
	t.Helper()
	return tg.runIn(t, tg.g, script)
}

// runIn is run in the group g.
func (tg *testGuest) runIn(t testing.TB, g *limits.Group, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "F=" + tg.mnt + "/g/proc/stat"}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := g.Start(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sh -c %q in the guest's group: %v: %s", script, err, out)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sh -c %q in the guest's group did not end: %s", script, out)
	}
	return out.String()
}

// statLines is /proc/stat text by the first field of each line.
func statLines(text string) map[string][]string {
	m := make(map[string][]string)
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			m[f[0]] = f[1:]
		}
	}
	return m
}

// cpuUsed is user plus system of the "cpu" line, in ticks.
func cpuUsed(t *testing.T, text string) uint64 {
	t.Helper()
	f := statLines(text)["cpu"]
	if len(f) < 4 {
		t.Fatalf("no cpu line in %q", text)
	}
	u, err1 := strconv.ParseUint(f[0], 10, 64)
	s, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("cpu line %q", f)
	}
	return u + s
}

func TestServeGuestStat(t *testing.T) {
	tg := newTestGuest(t)

	// The kernel's /proc/stat and the server's, read in a time namespace
	// whose boot-time clock is 1000s behind, as a guest's is.
	out := tg.run(t, `unshare --time --fork --boottime -1000 sh -c 'cat /proc/stat; echo ===; cat "$F"'`)
	kernel, ours, ok := strings.Cut(out, "===\n")
	if !ok {
		t.Fatalf("output %q", out)
	}
	k, o := statLines(kernel), statLines(ours)
	kb, _ := strconv.ParseInt(viewFirst(k["btime"]), 10, 64)
	ob, _ := strconv.ParseInt(viewFirst(o["btime"]), 10, 64)
	if kb == 0 || ob < kb-1 || ob > kb+1 {
		t.Errorf("btime in a time namespace 1000s behind: ours %d, the kernel's %d; want them equal", ob, kb)
	}
	const want = 1
	cpuLines := 0
	for name := range o {
		if strings.HasPrefix(name, "cpu") && name != "cpu" {
			cpuLines++
		}
	}
	if cpuLines != want || len(o["cpu0"]) != 10 || len(o["cpu"]) != 10 {
		t.Errorf("a guest with cpus 1 has %d cpuN lines (want %d) of 10 numbers:\n%s", cpuLines, want, ours)
	}
	for _, name := range []string{"intr", "ctxt", "processes", "procs_running", "procs_blocked", "softirq"} {
		if len(o[name]) == 0 {
			t.Errorf("no %s line:\n%s", name, ours)
		}
	}

	before := cpuUsed(t, tg.run(t, `cat "$F"`))
	after := cpuUsed(t, tg.run(t, `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; cat "$F"`))
	if after <= before {
		t.Errorf("user+system of the guest's cpu line %d after it burnt CPU, %d before; want more", after, before)
	}
}

func TestServeSendfile(t *testing.T) {
	tg := newTestGuest(t)
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("skipping: no busybox, whose cat reads with sendfile")
	}
	// busybox cat reads with sendfile, through the page cache, up to the
	// size stat gives: the size is the content's length, for each read.
	out := tg.run(t, `for i in 1 2 3; do busybox cat "$F"; echo ===; done; stat -c %s "$F"; wc -c <"$F"`)
	parts := strings.Split(out, "===\n")
	for _, p := range parts[:3] {
		if !strings.HasPrefix(p, "cpu  ") || !strings.Contains(p, "\nsoftirq ") || !strings.HasSuffix(p, "\n") {
			t.Errorf("busybox cat of the guest's proc/stat: %q, want the whole file", p)
		}
	}
	sizes := strings.Fields(parts[3])
	if len(sizes) != 2 || sizes[0] == "0" {
		t.Errorf("stat size and length of the guest's proc/stat: %q, want the length", parts[3])
	}
}

func TestServeOddReads(t *testing.T) {
	tg := newTestGuest(t)
	// One byte at a time, from an offset, and many opens at once.
	out := tg.run(t, `dd if="$F" bs=1 2>/dev/null | head -1; dd if="$F" bs=1 skip=4 count=1 2>/dev/null; echo`)
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "cpu  ") || len(strings.Fields(lines[0])) != 11 || lines[1] != " " {
		t.Errorf("reads of one byte: %q, want a whole cpu line, then the byte at offset 4 (a space)", out)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("skipping the many opens: no python3")
	}
	many := tg.run(t, `python3 -c '
import os, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
fds = []
try:
    while len(fds) < 1100:
        fds.append(os.open(os.environ["F"], os.O_RDONLY))
except OSError as e:
    print(len(fds), e.errno)
'`)
	if f := strings.Fields(many); len(f) != 2 || f[0] != strconv.Itoa(maxOpen) || f[1] != strconv.Itoa(int(unix.ENFILE)) {
		t.Errorf("a guest opening 1100 files at once: %q, want ENFILE (%d) after %d", many, unix.ENFILE, maxOpen)
	}
}

func TestServeRefusesHostReaders(t *testing.T) {
	tg := newTestGuest(t)
	_, err := os.ReadFile(tg.mnt + "/g/proc/stat")
	if !errors.Is(err, unix.EACCES) {
		t.Errorf("reading a guest's proc/stat from the host: %v, want EACCES", err)
	}
	if err := os.WriteFile(tg.mnt+"/g/proc/stat", []byte("x"), 0o644); err == nil {
		t.Errorf("writing a guest's proc/stat succeeded")
	}
	other, err := tg.c.Create("h", limits.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Delete() })
	out := tg.runIn(t, other, `cat "$F" 2>&1; busybox cat "$F" 2>&1; head -c 10 "$F" 2>&1; true`)
	if strings.Contains(out, "cpu") || strings.Count(out, "denied") != 3 {
		t.Errorf("another guest reading g's proc/stat (read, sendfile): %q, want permission denied", out)
	}
	if own := tg.runIn(t, other, `head -1 "${F%/g/proc/stat}/h/proc/stat"`); !strings.HasPrefix(own, "cpu ") {
		t.Errorf("guest h reading its own proc/stat: %q", own)
	}
}

// viewFirst is the first of list, "" for none.
func viewFirst(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}
