package view

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireLXCFS skips the test without root, lxcfs or FUSE.
func requireLXCFS(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to mount FUSE file systems")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("skipping: no /dev/fuse")
	}
	const bin = "/usr/bin/lxcfs"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("skipping: no /usr/bin/lxcfs (make deps installs lxcfs)")
	}
	return bin
}

// newTestDir makes a view directory and registers a cleanup that ends any
// server of kind (binary bin) it ran and detaches its mount, also on
// failure.
func newTestDir(t *testing.T, kind Kind, bin string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "view")
	t.Cleanup(func() {
		if p := adoptProcess(filepath.Join(dir, kind.name+".pid"), bin, filepath.Join(dir, kind.name)); p != nil {
			p.stop(stopGrace)
		}
		detachMounts(filepath.Join(dir, kind.name))
	})
	return dir
}

// serverPid is the pid of s's running lxcfs, 0 when down.
func serverPid(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
}

func TestServerLifecycle(t *testing.T) {
	checkLifecycle(t, LXCFS, requireLXCFS(t))
}

// checkLifecycle starts a server of kind, kills it, stops supervising it,
// adopts it, and stops it.
func checkLifecycle(t *testing.T, kind Kind, bin string) {
	dir := newTestDir(t, kind, bin)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Start(Options{Kind: kind, Binary: bin, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srcDir, files, gen := s.Source("alice")
	mnt := s.mnt
	if want := filepath.Join(mnt, kind.filesDir("alice")); srcDir != want {
		t.Errorf("Source(alice) dir = %q, want %q", srcDir, want)
	}
	if len(files) != len(kind.files) || !isLive(mnt, kind.probeRel()) || s.Adopted() {
		t.Fatalf("new server: Source() = %q, %q, %d, live %v, adopted %v; want every view file on a live mount, not adopted", mnt, files, gen, isLive(mnt, kind.probeRel()), s.Adopted())
	}
	changed := make(chan struct{}, 4)
	s.Supervise(func() { changed <- struct{}{} })
	<-changed // a server started, not adopted: guests that outlived an older one get its files

	first := serverPid(s)
	if err := unix.Kill(first, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no new view 10s after lxcfs was killed")
	}
	second := serverPid(s)
	if _, _, gen2 := s.Source("alice"); second == 0 || second == first || gen2 <= gen || !isLive(mnt, kind.probeRel()) {
		t.Fatalf("after a kill: lxcfs %d (was %d), generation %d (was %d), live %v; want a new live one", second, first, gen2, gen, isLive(mnt, kind.probeRel()))
	}
	names, fds, _, err := s.Clones("alice")
	if err != nil || len(names) != len(kind.files) || len(fds) != len(kind.files) {
		t.Fatalf("Clones() = %q, %v, %v; want one detached mount per view file", names, fds, err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}

	if err := s.Close(false); err != nil {
		t.Fatal(err)
	}
	again, err := Start(Options{Kind: kind, Binary: bin, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Adopted() || serverPid(again) != second {
		t.Fatalf("Start after Close(false): adopted %v, lxcfs %d; want lxcfs %d adopted", again.Adopted(), serverPid(again), second)
	}
	again.Supervise(func() { t.Error("changed called for an adopted server whose files guests have") })
	if err := again.Close(false); err != nil {
		t.Fatal(err)
	}

	// A daemon killed while it gave guests the files of a new lxcfs left
	// no served file: the next one gives them again.
	if err := os.Remove(filepath.Join(dir, kind.served)); err != nil {
		t.Fatal(err)
	}
	again, err = Start(Options{Kind: kind, Binary: bin, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	again.Supervise(func() { changed <- struct{}{} })
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Error("no new view for guests after adopting an lxcfs they may not have")
	}
	if err := again.Close(true); err != nil {
		t.Fatal(err)
	}
	if err := unix.Kill(second, 0); err == nil {
		if st, _ := os.ReadFile("/proc/" + itoa(second) + "/stat"); len(st) > 0 && !isZombie(st) {
			t.Errorf("lxcfs %d still runs after Close(true)", second)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil || st.Type == fuseSuperMagic {
		t.Errorf("%s after Close(true): statfs type %x, %v; want no FUSE mount", mnt, st.Type, err)
	}
	if _, err := os.Stat(filepath.Join(dir, kind.name+".pid")); err == nil {
		t.Errorf("pid file left after Close(true)")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// isZombie reports whether /proc/PID/stat text is a zombie's.
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
