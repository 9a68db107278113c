package inroot

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vmhost/inroot/inroottest"
)

func TestReadInRoot(t *testing.T) {
	tr := inroottest.NewTree(t, [][2]string{
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
		{"/etc/small", SameFS, "hello\n", nil},
		{"etc/small", NoSymlinks, "hello\n", nil},
		{"/etc/exact", SameFS, "0123456789abcdef", nil},
		{"/etc/over", SameFS, "", ErrTooBig},
		{"/etc/huge", SameFS, "", ErrTooBig},
		{"/etc/fifo", SameFS, "", ErrNotRegular},
		{"/etc/sock", SameFS, "", ErrNotRegular},
		{"/etc/dir", SameFS, "", ErrNotRegular},
		{"/etc/inside", SameFS, "hello\n", nil},
		{"/etc/relative", SameFS, "hello\n", nil},
		{"/etc/inside", NoSymlinks, "", unix.ELOOP},
		{"/etc/absout", SameFS, "", unix.ENOENT},
		{"/etc/relout", SameFS, "", unix.ENOENT},
		{"/../../../../" + "OUT/secret", SameFS, "", unix.ENOENT},
		{"/etc/zero", SameFS, "", unix.ENOENT},
		{"/etc/magic", SameFS, "", unix.ENOENT},
		{"/etc/missing", SameFS, "", unix.ENOENT},
	}
	for _, tt := range tests {
		name := strings.ReplaceAll(tt.name, "OUT", tr.Outside)
		var got []byte
		var err error
		inroottest.Within(t, tt.name, func() { got, err = ReadFile(tr.FD, name, tt.resolve, 16) })
		if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ReadFile(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	tr.CheckOutside(t)
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
		{"/proc/self/status", SameFS, unix.EXDEV},
		{"/dev/zero", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, ErrNotRegular},
		{"/dev/null", unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, ErrNotRegular},
	}
	for _, tt := range tests {
		var err error
		inroottest.Within(t, tt.name, func() { _, err = ReadFile(host, tt.name, tt.resolve, 1<<20) })
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ReadFile(/, %q) = %v, want %v", tt.name, err, tt.wantErr)
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
		got, more, err := ReadAtMost(int(f.Fd()), tt.max)
		f.Close()
		want := data[:min(tt.size, tt.max)]
		if err != nil || more != tt.wantMore || !bytes.Equal(got, want) {
			t.Errorf("ReadAtMost(%d bytes, %d) = %d bytes, %v, %v; want %d, %v", tt.size, tt.max, len(got), more, err, len(want), tt.wantMore)
		}
	}
}
