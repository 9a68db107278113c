package guest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// syncBuffer is a buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestGuestOddFilesStart gives a stopped guest the files a hostile root
// leaves behind (/proc and /var symlinks to a host directory, /dev a file,
// /tmp a FIFO, FIFOs and symlinks out at the files vmhost reads and
// writes) and checks that the guest starts, that nothing of the host's is
// touched, and that the odd entries are kept or moved aside with a log line.
func TestGuestOddFilesStart(t *testing.T) {
	opts := testOptions(t)
	opts.Network = newFakeNetwork("10.98.0.0/24")
	var daemonLog syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&daemonLog, nil))
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	base := int(m.List()[0].IDBase)
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	host := t.TempDir()
	if err := os.Chmod(host, 0o700); err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(opts.DataDir, "guests", "alice", upperDir)
	odd := []struct{ name, kind string }{
		{"var", "link:" + host}, {"proc", "link:" + host}, {"dev", "file"}, {"tmp", "fifo"},
		{"etc/resolv.conf", "link:/dev/zero"}, {"etc/hosts", "fifo"}, {"etc/passwd", "fifo"},
		{"etc/hostname", "link:" + host + "/hostname"},
	}
	for _, o := range odd {
		makeOdd(t, filepath.Join(upper, o.name), o.kind, base)
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatalf("starting a guest with odd files: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("starting a guest with odd files took %v", d)
	}
	if entries, _ := os.ReadDir(host); len(entries) != 0 {
		t.Errorf("the host directory holds %v, want nothing", entries)
	}
	if fi, err := os.Stat(host); err != nil || fi.Mode().Perm() != 0o700 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("the host directory is %v, %v; want mode 0700, owner root", fi.Mode(), err)
	}
	script := `for d in proc var dev tmp; do for f in /$d.vmhost-moved-*; do [ -e $f -o -L $f ] && echo $d moved; done; done
stat -c %F /etc/hosts /etc/passwd; readlink /etc/resolv.conf; readlink /etc/hostname
stat -c '%a %F' /tmp /var/tmp; cat /proc/1/comm; grep -c overlay /proc/self/mountinfo`
	out, errOut, _ := run(t, g, "/bin/sh", "-c", script)
	want := "proc moved\nvar moved\ndev moved\ntmp moved\nfifo\nfifo\n/dev/zero\n" + host + "/hostname\n" +
		"1777 directory\n1777 directory\n" + protocol.InitName + "\n1\n"
	if out != want {
		t.Errorf("in the guest:\n%s\n(stderr %q), want:\n%s", out, errOut, want)
	}
	if mounts, _, _ := run(t, g, "/bin/cat", "/proc/self/mountinfo"); strings.Contains(mounts, opts.DataDir) {
		t.Errorf("the guest's mount table shows data_dir %s:\n%s", opts.DataDir, mounts)
	}
	if shell := loginShell(t, g); shell != "-sh\n" {
		t.Errorf("login shell with /etc/passwd a FIFO = %q, want -sh", shell)
	}
	// The init's lines reach the daemon's log through a pipe, a moment later.
	wants := []string{"path=/proc kind=symlink", "path=/dev kind=\\\"regular file\\\"", "path=/tmp kind=FIFO",
		"/etc/hosts left as it is", "/etc/hostname left as it is"}
	var logs string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		logs = daemonLog.String()
		if containsAll(logs, wants) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// makeOdd makes path a FIFO, a file or a symlink ("link:TARGET"), owned by
// uid as if the guest's root had made it.
func makeOdd(t *testing.T, path, kind string, uid int) {
	t.Helper()
	os.RemoveAll(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	switch target, isLink := strings.CutPrefix(kind, "link:"); {
	case isLink:
		err = os.Symlink(target, path)
	case kind == "fifo":
		err = unix.Mkfifo(path, 0o644)
	default:
		err = os.WriteFile(path, []byte("mine\n"), 0o644)
	}
	if err == nil {
		err = os.Lchown(path, uid, uid)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// loginShell starts root's login shell in g and returns its $0.
func loginShell(t *testing.T, g Running) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := g.Spawn(ctx, SpawnRequest{Login: true, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatalf("starting a login shell: %v", err)
	}
	defer p.Close()
	io.WriteString(p.Stdin(), "echo $0\nexit\n")
	p.Stdin().Close()
	out, _ := io.ReadAll(p.Stdout())
	p.Wait()
	return string(out)
}

// containsAll reports whether s holds every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
