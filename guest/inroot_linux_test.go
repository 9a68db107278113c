package guest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testTree is a directory standing for a guest's root, and one outside it
// standing for the host's files, which nothing done in the tree may touch.
type testTree struct {
	root, outside string
	fd            int
}

// newTestTree makes a tree with entries (path -> kind, see make), and a
// host directory holding secret.
func newTestTree(t *testing.T, entries [][2]string) *testTree {
	t.Helper()
	tr := &testTree{root: t.TempDir(), outside: t.TempDir()}
	if err := os.Chmod(tr.outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tr.outside, "secret"), []byte("host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		tr.make(t, e[0], e[1])
	}
	fd, err := unix.Open(tr.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tr.fd = fd
	return tr
}

// make makes name in the tree: "dir", "fifo", "sock", "file:CONTENT",
// "big:SIZE" (sparse) or "link:TARGET", where OUT in TARGET is the host
// directory.
func (tr *testTree) make(t *testing.T, name, kind string) {
	t.Helper()
	p := filepath.Join(tr.root, name)
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
		err = os.Symlink(strings.ReplaceAll(arg, "OUT", tr.outside), p)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkOutside fails the test unless the host directory holds only secret,
// unchanged, with its mode.
func (tr *testTree) checkOutside(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(tr.outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret" {
		t.Errorf("host directory holds %v, want only secret", entries)
	}
	if b, err := os.ReadFile(filepath.Join(tr.outside, "secret")); err != nil || string(b) != "host\n" {
		t.Errorf("host file = %q, %v; want it unchanged", b, err)
	}
	if fi, err := os.Stat(tr.outside); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("host directory mode = %v, %v; want 0700", fi.Mode(), err)
	}
}

// kind is what name is in the tree, as make spells it, or "missing".
func (tr *testTree) kind(t *testing.T, name string) string {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(tr.root, name))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "missing"
	case err != nil:
		t.Fatal(err)
	case fi.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(filepath.Join(tr.root, name))
		return "link:" + strings.ReplaceAll(target, tr.outside, "OUT")
	case fi.IsDir():
		return "dir"
	case fi.Mode()&os.ModeNamedPipe != 0:
		return "fifo"
	}
	b, _ := os.ReadFile(filepath.Join(tr.root, name))
	return "file:" + string(b)
}

// within fails the test if do has not returned within a second: nothing the
// tree holds may block.
func within(t *testing.T, what string, do func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { do(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("%s: blocked", what)
	}
}

func TestReadInRoot(t *testing.T) {
	tr := newTestTree(t, [][2]string{
		{"etc/small", "file:hello\n"},
		{"etc/exact", "file:0123456789abcdef"},
		{"etc/over", "file:0123456789abcdefX"},
		{"etc/huge", "big:x"}, // 1 GiB, sparse
		{"etc/fifo", "fifo"},
		{"etc/sock", "sock"},
		{"etc/dir", "dir"},
		{"etc/inside", "link:/etc/small"},
		{"etc/relative", "link:../etc/small"},
		{"etc/absout", "link:OUT/secret"},
		{"etc/relout", "link:../../../../../../../../OUT/secret"},
		{"etc/zero", "link:/dev/zero"},
		{"etc/magic", "link:/proc/self/root/OUT/secret"},
	})
	tests := []struct {
		name    string
		resolve uint64
		want    string
		wantErr error
	}{
		{"/etc/small", resolveSameFS, "hello\n", nil},
		{"etc/small", resolveNoSymlinks, "hello\n", nil},
		{"/etc/exact", resolveSameFS, "0123456789abcdef", nil},
		{"/etc/over", resolveSameFS, "", errTooBig},
		{"/etc/huge", resolveSameFS, "", errTooBig},
		{"/etc/fifo", resolveSameFS, "", errNotRegular},
		{"/etc/sock", resolveSameFS, "", errNotRegular},
		{"/etc/dir", resolveSameFS, "", errNotRegular},
		{"/etc/inside", resolveSameFS, "hello\n", nil},
		{"/etc/relative", resolveSameFS, "hello\n", nil},
		{"/etc/inside", resolveNoSymlinks, "", unix.ELOOP},
		{"/etc/absout", resolveSameFS, "", unix.ENOENT},
		{"/etc/relout", resolveSameFS, "", unix.ENOENT},
		{"/../../../../" + "OUT/secret", resolveSameFS, "", unix.ENOENT},
		{"/etc/zero", resolveSameFS, "", unix.ENOENT},
		{"/etc/magic", resolveSameFS, "", unix.ENOENT},
		{"/etc/missing", resolveSameFS, "", unix.ENOENT},
	}
	for _, tt := range tests {
		name := strings.ReplaceAll(tt.name, "OUT", tr.outside)
		var got []byte
		var err error
		within(t, tt.name, func() { got, err = readInRoot(tr.fd, name, tt.resolve, 16) })
		if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("readInRoot(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	tr.checkOutside(t)
}

// TestReadInRootHostRefusals reads through the host's real /proc and /dev:
// magic links, devices and other file systems are refused.
func TestReadInRootHostRefusals(t *testing.T) {
	host, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(host)
	tests := []struct {
		name    string
		resolve uint64
		wantErr error
	}{
		{"/proc/self/root/etc/hostname", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, unix.ELOOP},
		{"/proc/self/fd/0", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, unix.ELOOP},
		{"/proc/self/status", resolveSameFS, unix.EXDEV},
		{"/dev/zero", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, errNotRegular},
		{"/dev/null", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, errNotRegular},
	}
	for _, tt := range tests {
		var err error
		within(t, tt.name, func() { _, err = readInRoot(host, tt.name, tt.resolve, maxGuestFile) })
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("readInRoot(/, %q) = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestReadAtMost(t *testing.T) {
	tests := []struct {
		size, max int
		wantMore  bool
	}{
		{0, 0, false}, {0, 10, false}, {10, 10, false}, {11, 10, true},
		{100000, 100000, false}, {100001, 100000, true}, {200000, 70000, true},
	}
	for _, tt := range tests {
		f, err := os.CreateTemp(t.TempDir(), "f")
		if err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte("x"), tt.size)
		f.Write(data)
		f.Seek(0, io.SeekStart)
		got, more, err := readAtMost(int(f.Fd()), tt.max)
		f.Close()
		want := data[:min(tt.size, tt.max)]
		if err != nil || more != tt.wantMore || !bytes.Equal(got, want) {
			t.Errorf("readAtMost(%d bytes, %d) = %d bytes, %v, %v; want %d, %v", tt.size, tt.max, len(got), more, err, len(want), tt.wantMore)
		}
	}
}
