package guest

import (
	"errors"
	"path/filepath"
	"testing"
	"vmhost/inroot"
	"vmhost/inroot/inroottest"

	"golang.org/x/sys/unix"
)

func TestUpperFileIsOurs(t *testing.T) {
	tests := []struct {
		name     string
		entries  [][2]string
		wantOurs bool
		wantErr  error
	}{
		{"no upper yet", nil, true, nil},
		{"no etc", [][2]string{{"upper", "dir"}}, true, nil},
		{"no file", [][2]string{{"upper/etc", "dir"}}, true, nil},
		{"ours", [][2]string{{"upper/etc/resolv.conf", "file:" + resolvMarker + "nameserver 10.0.0.1\n"}}, true, nil},
		{"the guest's", [][2]string{{"upper/etc/resolv.conf", "file:nameserver 192.0.2.1\n"}}, false, nil},
		{"short", [][2]string{{"upper/etc/resolv.conf", "file:#"}}, false, nil},
		{"huge", [][2]string{{"upper/etc/resolv.conf", "big:x"}}, false, nil},
		{"symlink to zero", [][2]string{{"upper/etc/resolv.conf", "link:/dev/zero"}}, false, unix.ELOOP},
		{"symlink out", [][2]string{{"upper/etc/resolv.conf", "link:OUT/secret"}}, false, unix.ELOOP},
		{"etc symlink out", [][2]string{{"upper/etc", "link:OUT"}}, false, unix.ELOOP},
		{"fifo", [][2]string{{"upper/etc/resolv.conf", "fifo"}}, false, inroot.ErrNotRegular},
		{"directory", [][2]string{{"upper/etc/resolv.conf", "dir"}}, false, inroot.ErrNotRegular},
		{"etc is a file", [][2]string{{"upper/etc", "file:x"}}, false, unix.ENOTDIR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := inroottest.NewTree(t, tt.entries)
			var ours bool
			var err error
			inroottest.Within(t, tt.name, func() { ours, err = upperFileIsOurs(filepath.Join(tr.Root, "upper"), "etc/resolv.conf", resolvMarker) })
			if ours != tt.wantOurs || !errors.Is(err, tt.wantErr) {
				t.Errorf("upperFileIsOurs = %v, %v; want %v, %v", ours, err, tt.wantOurs, tt.wantErr)
			}
			tr.CheckOutside(t)
		})
	}
}

// TestUpperFileIsOursWhiteout checks that a file the guest deleted (a
// whiteout, character device 0/0, in the upper layer) stays deleted.
func TestUpperFileIsOursWhiteout(t *testing.T) {
	requireRoot(t)
	tr := inroottest.NewTree(t, [][2]string{{"upper/etc", "dir"}})
	if err := unix.Mknod(filepath.Join(tr.Root, "upper/etc/resolv.conf"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	ours, err := upperFileIsOurs(filepath.Join(tr.Root, "upper"), "etc/resolv.conf", resolvMarker)
	if ours || !errors.Is(err, inroot.ErrNotRegular) {
		t.Errorf("upperFileIsOurs(whiteout) = %v, %v; want false, not a regular file", ours, err)
	}
}
