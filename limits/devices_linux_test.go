package limits

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// probeEnv names, in the environment of the test binary run as a probe,
// the directory of the device nodes the probe tries.
const probeEnv = "VMHOST_LIMITS_DEVICE_PROBE"

// deviceNodes are the nodes makeDeviceNodes makes: what a hostile image
// could carry.
var deviceNodes = []struct {
	name  string
	mode  uint32
	major uint32
	minor uint32
}{
	{"kmsg", unix.S_IFCHR, 1, 11},
	{"mem", unix.S_IFCHR, 1, 1},
	{"disk", unix.S_IFBLK, 7, 0},
}

// deviceProbes are what the probe tries, by name: each returns nil or the
// error of its system call.
func deviceProbes(dir string) map[string]func() error {
	open := func(p string, flags int) func() error {
		return func() error {
			fd, err := unix.Open(p, flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}
	}
	return map[string]func() error{
		"null":  open("/dev/null", unix.O_WRONLY),
		"zero":  open("/dev/zero", unix.O_RDONLY),
		"tty":   open("/dev/tty", unix.O_RDWR), // allowed: ENXIO without a terminal
		"kmsg":  open(filepath.Join(dir, "kmsg"), unix.O_WRONLY),
		"mem":   open(filepath.Join(dir, "mem"), unix.O_RDONLY),
		"disk":  open(filepath.Join(dir, "disk"), unix.O_RDONLY),
		"mknod": func() error { return unix.Mknod(filepath.Join(dir, "new"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 11))) },
		"pty": func() error {
			m, s, err := pty.Open() // /dev/ptmx, then /dev/pts/N
			if err == nil {
				m.Close()
				s.Close()
			}
			return err
		},
	}
}

// TestDeviceProbe is the probe the device tests run in a group: it prints
// NAME=ok or NAME=ERRNO for each of deviceProbes. It does nothing in a
// normal run.
func TestDeviceProbe(t *testing.T) {
	dir := os.Getenv(probeEnv)
	if dir == "" {
		t.Skip("a helper the device tests run in a cgroup")
	}
	for name, probe := range deviceProbes(dir) {
		res := "ok"
		if err := probe(); err != nil {
			res = unix.ErrnoName(err.(syscall.Errno))
		}
		fmt.Printf("%s=%s\n", name, res)
	}
}

// makeDeviceNodes makes the nodes of deviceNodes in a temp dir.
func makeDeviceNodes(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range deviceNodes {
		if err := unix.Mknod(filepath.Join(dir, n.name), n.mode|0o600, int(unix.Mkdev(n.major, n.minor))); err != nil {
			t.Fatalf("making %s: %v", n.name, err)
		}
	}
	return dir
}

// runProbe runs TestDeviceProbe in g, or outside any group of ours with a
// nil g, and returns its results by name.
func runProbe(t *testing.T, g *Group, dir string) map[string]string {
	t.Helper()
	os.Remove(filepath.Join(dir, "new"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeviceProbe$", "-test.count=1")
	cmd.Env = append(os.Environ(), probeEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	var err error
	if g != nil {
		err = g.Start(cmd)
	} else {
		err = cmd.Start()
	}
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		t.Fatalf("running the device probe: %v\n%s%s", err, out.String(), stderr.String())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			got[k] = v
		}
	}
	return got
}

// checkDevices checks that a process in g may use the devices a guest is
// given, and no other: not the nodes of makeDeviceNodes, which a process
// outside the group opens, and no new node.
func checkDevices(t *testing.T, c *Controller) {
	g, err := c.Create("dev", Spec{})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	dir := makeDeviceNodes(t)
	outside := runProbe(t, nil, dir)
	if outside["kmsg"] != "ok" || outside["mknod"] != "ok" {
		t.Skipf("skipping: outside any group the probe cannot open a device node of %s or make one (%v)", dir, outside)
	}
	want := map[string]string{
		"null": "ok", "zero": "ok", "tty": "ENXIO", "pty": "ok",
		"kmsg": "EPERM", "mem": "EPERM", "disk": "EPERM", "mknod": "EPERM",
	}
	if diff := cmp.Diff(want, runProbe(t, g, dir)); diff != "" {
		t.Errorf("devices in the group (-want +got):\n%s", diff)
	}
	if err := g.Update(Spec{}); err != nil {
		t.Fatalf("Update = %v", err)
	}
	if diff := cmp.Diff(want, runProbe(t, g, dir)); diff != "" {
		t.Errorf("devices in the group after Update (-want +got):\n%s", diff)
	}
}

func TestGroupDevices(t *testing.T) {
	checkDevices(t, newTestController(t))
}

func TestGroupDevicesV2(t *testing.T) {
	checkDevices(t, newV2TestController(t, false))
}
