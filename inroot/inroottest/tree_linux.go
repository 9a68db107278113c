package inroottest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tree is a directory standing for a guest's root, and one outside it
// standing for the host's files, which nothing done in the tree may touch.
type Tree struct {
	Root, Outside string
	FD            int // Root, opened O_PATH
}

// NewTree makes a tree with entries (path -> kind, see make), and a
// host directory holding secret.
func NewTree(t *testing.T, entries [][2]string) *Tree {
	t.Helper()
	tr := &Tree{Root: t.TempDir(), Outside: t.TempDir()}
	if err := os.Chmod(tr.Outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tr.Outside, "secret"), []byte("host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		tr.make(t, e[0], e[1])
	}
	fd, err := unix.Open(tr.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tr.FD = fd
	return tr
}

// make makes name in the tree: "dir", "fifo", "sock", "file:CONTENT",
// "big:SIZE" (sparse) or "link:TARGET", where OUT in TARGET is the host
// directory.
func (tr *Tree) make(t *testing.T, name, kind string) {
	t.Helper()
	p := filepath.Join(tr.Root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	what, arg, _ := strings.Cut(kind, ":")
	var err error
	switch what {
	case "dir":
		err = os.Mkdir(p, 0o755)
	case "fifo":
		err = unix.Mkfifo(p, 0o644)
	case "sock":
		var l net.Listener
		l, err = net.Listen("unix", p)
		if err == nil {
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
		}
	case "file":
		err = os.WriteFile(p, []byte(arg), 0o644)
	case "big":
		err = os.WriteFile(p, nil, 0o644)
		if err == nil {
			err = os.Truncate(p, int64(len(arg))<<30)
		}
	case "link":
		err = os.Symlink(strings.ReplaceAll(arg, "OUT", tr.Outside), p)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// CheckOutside fails the test unless the host directory holds only secret,
// unchanged, with its mode.
func (tr *Tree) CheckOutside(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(tr.Outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret" {
		t.Errorf("host directory holds %v, want only secret", entries)
	}
	if b, err := os.ReadFile(filepath.Join(tr.Outside, "secret")); err != nil || string(b) != "host\n" {
		t.Errorf("host file = %q, %v; want it unchanged", b, err)
	}
	if fi, err := os.Stat(tr.Outside); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("host directory mode = %v, %v; want 0700", fi.Mode(), err)
	}
}

// Kind is what name is in the tree, as make spells it, or "missing".
func (tr *Tree) Kind(t *testing.T, name string) string {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(tr.Root, name))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "missing"
	case err != nil:
		t.Fatal(err)
	case fi.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(filepath.Join(tr.Root, name))
		return "link:" + strings.ReplaceAll(target, tr.Outside, "OUT")
	case fi.IsDir():
		return "dir"
	case fi.Mode()&os.ModeNamedPipe != 0:
		return "fifo"
	}
	b, _ := os.ReadFile(filepath.Join(tr.Root, name))
	return "file:" + string(b)
}

// Within fails the test if do has not returned within a second: nothing the
// tree holds may block.
func Within(t *testing.T, what string, do func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { do(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("%s: blocked", what)
	}
}
