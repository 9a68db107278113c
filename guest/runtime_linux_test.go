package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"

	"vmhost/config"
)

// requireRoot skips a test that needs real namespaces and mounts.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: starts real guests (namespaces, idmapped mounts, overlay)")
	}
}

// requireBusybox skips a test that needs the host's static busybox.
func requireBusybox(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("needs busybox-static (make test installs it)")
	return ""
}

// testImage is a tiny root filesystem made of the host's busybox.
type testImage struct{ rootfs string }

func (i testImage) Rootfs(ctx context.Context, name string) (string, error) { return i.rootfs, nil }

// testPolicy gives every owner the same image and quota; the owners in
// autostart autostart, those in idle stop after their idle_stop.
type testPolicy struct {
	max       int
	autostart map[string]bool
	idle      map[string]time.Duration
}

func (p testPolicy) GuestImage(string, string) string         { return "test" }
func (p testPolicy) MaxGuestsFor(string) int                  { return p.max }
func (p testPolicy) GuestLimits(string, string) config.Limits { return config.Limits{} }
func (p testPolicy) AutostartFor(owner string) bool           { return p.autostart[owner] }
func (p testPolicy) IdleStopFor(owner string) time.Duration   { return p.idle[owner] }
func (p testPolicy) IdleStops() []time.Duration               { return slices.Collect(maps.Values(p.idle)) }

// makeRootfs builds a minimal busybox root filesystem in dir.
func makeRootfs(t testing.TB, busybox, dir string) {
	t.Helper()
	for _, d := range []string{"bin", "etc", "root", "tmp", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "id", "cat", "ls", "hostname", "tty", "sleep", "ps", "stat", "echo", "wc", "touch", "grep", "tr", "chmod", "printf", "date"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	exeOnce sync.Once
	exe     *SealedExe
	exeErr  error
)

// testManager makes a manager over temporary directories, and stops every
// guest it started when the test ends.
func testManager(t *testing.T) *Manager {
	t.Helper()
	m, err := NewManager(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testOptions makes temporary directories and an image for managers, and
// stops every guest under them when the test ends.
func testOptions(t testing.TB) Options {
	t.Helper()
	requireRoot(t)
	busybox := requireBusybox(t)
	exeOnce.Do(func() { exe, exeErr = NewSealedExe() })
	if exeErr != nil {
		t.Fatal(exeErr)
	}
	base := t.TempDir()
	runDir, err := os.MkdirTemp("/tmp", "vmg")
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(base, "image")
	makeRootfs(t, busybox, rootfs)
	opts := Options{
		DataDir: filepath.Join(base, "data"), RunDir: runDir,
		Images: testImage{rootfs}, Policy: testPolicy{max: 2}, Exe: exe,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StopGrace: 2 * time.Second,
	}
	t.Cleanup(func() {
		m, err := NewManager(opts)
		if err != nil {
			t.Errorf("cleaning up guests: %v", err)
			return
		}
		for _, g := range m.List() {
			if err := m.Stop(g.ID()); err != nil {
				t.Errorf("stopping %s: %v", g.ID(), err)
			}
		}
		os.RemoveAll(runDir)
	})
	return opts
}

// run spawns argv with pipes and returns its output and status.
func run(t *testing.T, g Running, argv ...string) (string, string, ExitStatus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := g.Spawn(ctx, SpawnRequest{Argv: argv, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatalf("Spawn(%q): %v", argv, err)
	}
	defer p.Close()
	p.Stdin().Close()
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(&stdout, p.Stdout()) }()
	go func() { defer wg.Done(); io.Copy(&stderr, p.Stderr()) }()
	st, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait(%q): %v", argv, err)
	}
	wg.Wait()
	return stdout.String(), stderr.String(), st
}

func TestGuestRuns(t *testing.T) {
	m := testManager(t)
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	out, errOut, st := run(t, g, "/bin/sh", "-c", "id -u; hostname; cat /proc/1/comm; echo oops >&2; exit 3")
	if want := "0\nalice\n" + protocol.InitName + "\n"; out != want || errOut != "oops\n" || st.Code != 3 {
		t.Errorf("run = %q, %q, %+v; want %q, \"oops\\n\", code 3", out, errOut, st, want)
	}
	info := m.List()[0]
	uid := hostUID(t, info.InitPid)
	if uid != int(info.IDBase) || uid < int(FirstIDBase) {
		t.Errorf("init runs as host uid %d, want the guest's base %d", uid, info.IDBase)
	}
}

func TestGuestSignalStatus(t *testing.T) {
	m := testManager(t)
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	_, _, st := run(t, g, "/bin/sh", "-c", "kill -KILL $$")
	if st.Signal != 9 || st.Code != 137 {
		t.Errorf("status = %+v, want signal 9, code 137", st)
	}
}

func TestGuestTerminal(t *testing.T) {
	m := testManager(t)
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p, err := g.Spawn(context.Background(), SpawnRequest{Argv: []string{"/bin/sh", "-c", "tty; stat -c %s /dev/pts/ptmx"}, TTY: &TTY{Rows: 30, Cols: 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, p.Stdout()); close(done) }()
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		p.PTY().SetReadDeadline(time.Now())
		<-done
	}
	if !strings.HasPrefix(out.String(), "/dev/pts/0") {
		t.Errorf("tty output = %q, want /dev/pts/0 first", out.String())
	}
}

func TestGuestPersistsAndRestarts(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, st := run(t, g, "/bin/sh", "-c", "echo kept > /root/f"); st.Code != 0 {
		t.Fatalf("writing a file: %+v", st)
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	g, err = m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, g, "/bin/cat", "/root/f"); out != "kept\n" {
		t.Errorf("after restart /root/f = %q, want %q", out, "kept\n")
	}
}

func TestGuestQuota(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	for _, name := range []string{"alice", "web"} {
		if _, err := m.Open(ctx, "alice", name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Open(ctx, "alice", "third"); err == nil || !strings.Contains(err.Error(), "max_guests") {
		t.Errorf("third guest: err = %v, want a max_guests refusal", err)
	}
}

// hostUID reads the real uid of pid on the host.
func hostUID(t *testing.T, pid int) int {
	t.Helper()
	out, err := exec.Command("stat", "-c", "%u", "/proc/"+strconv.Itoa(pid)).Output()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return uid
}

func TestGuestReattach(t *testing.T) {
	opts := testOptions(t)
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	pid := m.List()[0].InitPid
	m2, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := m2.List()[0]; !got.Running || got.InitPid != pid {
		t.Errorf("after a restart: running %v, pid %d; want running, pid %d", got.Running, got.InitPid, pid)
	}
}

func TestGuestFoundAfterLostTrack(t *testing.T) {
	opts := testOptions(t)
	// The daemon finds a lost init in the guest's cgroup, never by asking
	// the guest.
	opts.Cgroups = newFakeCgroups()
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	st := m.List()[0].State
	pid := st.InitPid
	// A daemon killed between starting an init and recording it.
	st.InitPid, st.InitStart = 0, 0
	if err := writeState(filepath.Join(opts.DataDir, "guests", "alice"), &st); err != nil {
		t.Fatal(err)
	}
	m2, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	if got := m2.List()[0].InitPid; got != pid {
		t.Errorf("after losing track: init pid %d, want the running one, %d", got, pid)
	}
}

func TestGuestHardening(t *testing.T) {
	m := testManager(t)
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, script, want string
	}{
		{"kcore masked", "[ ! -e /proc/kcore ] || [ $(stat -c %s /proc/kcore) = 0 ] && echo hidden", "hidden\n"},
		{"timer_list masked", "cat /proc/timer_list | wc -c", "0\n"},
		{"keys masked", "cat /proc/keys | wc -c", "0\n"},
		{"proc sys read-only", "echo x > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo ro", "ro\n"},
		{"proc sys net writable", "echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward", "1\n"},
		{"sysrq read-only", "echo h > /proc/sysrq-trigger 2>/dev/null && echo writable || echo ro", "ro\n"},
		{"sys read-only", "touch /sys/x 2>/dev/null && echo writable || echo ro", "ro\n"},
		{"init out of reach", "readlink /proc/1/exe /proc/1/fd/0 /proc/1/cwd; cat /proc/1/environ /proc/1/mem; echo $?", "1\n"},
		{"no CAP_SYS_PTRACE", "b=$(grep CapBnd /proc/self/status | cut -f2); echo $(( (0x$b >> 19) & 1 ))", "0\n"},
		{"no host fds", "ls /proc/self/fd | tr '\\n' ' '", "0 1 2 3 "},
		{"tmp sticky", "stat -c %a /tmp", "1777\n"},
		{"devpts private", "ls /dev/pts | tr '\\n' ' '", "ptmx "},
	}
	for _, tt := range tests {
		out, errOut, _ := run(t, g, "/bin/sh", "-c", tt.script)
		if out != tt.want {
			t.Errorf("%s: sh -c %q = %q (stderr %q), want %q", tt.name, tt.script, out, errOut, tt.want)
		}
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", m.List()[0].InitPid))
	if err != nil || !strings.HasPrefix(exe, "/memfd:vmhostd") {
		t.Errorf("the init's executable, seen from the host = %q, %v; want the sealed memfd:vmhostd", exe, err)
	}
}

func TestGuestSignalRelayed(t *testing.T) {
	m := testManager(t)
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Spawn(context.Background(), SpawnRequest{Argv: []string{"/bin/sleep", "100"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait()
	if err != nil || st.Signal != syscall.SIGTERM {
		t.Errorf("Wait() after SIGTERM = %+v, %v; want killed by SIGTERM", st, err)
	}
}

func TestGuestRemoveAndReset(t *testing.T) {
	opts := testOptions(t)
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "web")
	if err != nil {
		t.Fatal(err)
	}
	run(t, g, "/bin/sh", "-c", "echo mine > /root/f")
	if err := m.Reset("alice+web"); err != nil {
		t.Fatal(err)
	}
	g, err = m.Open(ctx, "alice", "web")
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, g, "/bin/sh", "-c", "cat /root/f 2>/dev/null || echo gone"); out != "gone\n" {
		t.Errorf("after Reset, /root/f: %q, want it gone", out)
	}
	pid := m.List()[0].InitPid
	if err := m.Remove("alice+web"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil || len(m.List()) != 0 {
		t.Errorf("after Remove: %d guests listed", len(m.List()))
	}
	if entries, _ := os.ReadDir(filepath.Join(opts.DataDir, "guests")); len(entries) != 0 {
		t.Errorf("after Remove, guests/ holds %v", entries)
	}
	if err := m.Stop("alice+web"); !errors.Is(err, ErrUnknownGuest) {
		t.Errorf("Stop of a removed guest = %v, want ErrUnknownGuest", err)
	}
}

func TestLeftoversRemovedAtStart(t *testing.T) {
	opts := testOptions(t)
	guests := filepath.Join(opts.DataDir, "guests")
	for _, d := range []string{".creating-alice-123", ".removing-bob-456"} {
		if err := os.MkdirAll(filepath.Join(guests, d, "upper"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewManager(opts); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(guests); len(entries) != 0 {
		t.Errorf("after start, guests/ holds %v; want the leftovers gone", entries)
	}
}

func TestGuestStatus(t *testing.T) {
	opts := testOptions(t)
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	if got := m.List()[0].Status; got != StatusRunning {
		t.Errorf("status after Open = %q, want %q", got, StatusRunning)
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	if got := m.List()[0].Status; got != StatusStopped {
		t.Errorf("status after Stop = %q, want %q", got, StatusStopped)
	}
	// The image build the guest was made from went missing: that breaks
	// the guest's next start, and says how to repair it.
	rootfs := opts.Images.(testImage).rootfs
	if err := os.Rename(rootfs, rootfs+".gone"); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(rootfs+".gone", rootfs)
	m2, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Start(ctx, "alice"); err == nil || !strings.Contains(err.Error(), "reset") {
		t.Fatalf("Start with its image build gone = %v, want an error that advises a reset", err)
	}
	if got := m2.List()[0]; got.Status != StatusBroken || got.Error == "" {
		t.Errorf("after a failed start: status %q, error %q; want broken with the error", got.Status, got.Error)
	}
}

func TestGuestBootRunsRCLocal(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	script := "printf '#!/bin/sh\\necho booted > /root/booted\\n' > /etc/rc.local && chmod +x /etc/rc.local"
	if _, errOut, st := run(t, g, "/bin/sh", "-c", script); st.Code != 0 {
		t.Fatalf("writing rc.local: %s", errOut)
	}
	if err := m.Restart(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := run(t, g, "/bin/sh", "-c", "cat /root/booted 2>/dev/null")
		if out == "booted\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/etc/rc.local did not run at start: /root/booted = %q", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// buildsImage is an image whose current build the test changes.
type buildsImage struct{ current *string }

func (i buildsImage) Rootfs(context.Context, string) (string, error) { return *i.current, nil }

// TestGuestKeepsItsImageBuild checks that a new build of an image does not
// change a guest made from an older one, and that Reset moves the guest to
// the current build.
func TestGuestKeepsItsImageBuild(t *testing.T) {
	opts := testOptions(t)
	first := opts.Images.(testImage).rootfs
	second := filepath.Join(t.TempDir(), "second")
	makeRootfs(t, requireBusybox(t), second)
	if err := os.WriteFile(filepath.Join(second, "etc", "build"), []byte("second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	current := first
	opts.Images = buildsImage{&current}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	current = second
	if err := m.Restart(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, g, "/bin/sh", "-c", "cat /etc/build 2>/dev/null || echo first"); out != "first\n" {
		t.Errorf("after a new build and a restart, the guest sees build %q, want its own first", out)
	}
	if err := m.Reset("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, g, "/bin/cat", "/etc/build"); out != "second\n" {
		t.Errorf("after Reset, the guest sees build %q, want second", out)
	}
}

// TestInitIsTheDaemonsChild checks that a guest's init is the daemon's child
// and that the daemon reaps it when it dies, leaving no zombie.
func TestInitIsTheDaemonsChild(t *testing.T) {
	m := testManager(t)
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	pid := m.List()[0].InitPid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if ppid, _ := strconv.Atoi(f[1]); ppid != os.Getpid() {
		t.Fatalf("init %d has parent %d, want the daemon, %d", pid, ppid, os.Getpid())
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			return // reaped, not left a zombie
		}
		if time.Now().After(deadline) {
			t.Fatalf("init %d killed but not reaped after 5s", pid)
		}
	}
}

func TestFailedStartLeavesNothing(t *testing.T) {
	opts := testOptions(t)
	cgroups := newFakeCgroups()
	opts.Cgroups = cgroups
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	recordStart = func(string, *State) error { return errors.New("no space left on device") }
	defer func() { recordStart = writeState }()
	if _, err := m.Open(context.Background(), "alice", "alice"); err == nil {
		t.Fatal("Open with guest.json failing to record the start = nil error, want one")
	}
	pids, _ := cgroupsOf(cgroups, "alice").Procs()
	if len(pids) != 0 {
		t.Errorf("after a start that could not be recorded, processes %v still run", pids)
	}
	if len(m.List()) != 0 {
		t.Errorf("after a failed first start, guests listed: %v", m.List())
	}
	recordStart = writeState
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Errorf("Open once the disk has room = %v, want the guest", err)
	}
}

// cgroupsOf returns the fake cgroup of guest id.
func cgroupsOf(f *fakeCgroups, id string) Cgroup {
	cg, _ := f.Open(id)
	return cg
}
