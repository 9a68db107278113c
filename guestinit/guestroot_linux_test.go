package guestinit

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"vmhost/inroot"
	"vmhost/inroot/inroottest"

	"golang.org/x/sys/unix"
)

// testRoot is a guestRoot over tr, with a fixed clock, logging into log.
func testRoot(tr *inroottest.Tree, log *bytes.Buffer) guestRoot {
	return guestRoot{fd: tr.FD, log: slog.New(slog.NewTextHandler(log, nil)), now: func() time.Time { return time.Unix(1700000000, 0) }}
}

func TestMkdirAllInRoot(t *testing.T) {
	const aside = ".vmhost-moved-1700000000"
	tests := []struct {
		name          string
		entries       [][2]string
		path          string
		followParents bool
		want          map[string]string // path -> kind afterwards
		wantLog       string
	}{
		{"new", nil, "/dev/pts", false,
			map[string]string{"dev": "dir", "dev/pts": "dir"}, ""},
		{"existing", [][2]string{{"proc", "dir"}, {"proc/x", "file:keep"}}, "/proc", false,
			map[string]string{"proc": "dir", "proc/x": "file:keep"}, ""},
		{"symlink out", [][2]string{{"proc", "link:OUT"}}, "/proc", false,
			map[string]string{"proc": "dir", "proc" + aside: "link:OUT"}, "kind=symlink"},
		{"relative symlink out", [][2]string{{"dev", "link:../../../../../OUT"}}, "/dev/pts", false,
			map[string]string{"dev": "dir", "dev/pts": "dir", "dev" + aside: "link:../../../../../OUT"}, "kind=symlink"},
		{"magic link", [][2]string{{"sys", "link:/proc/self/root/OUT"}}, "/sys", false,
			map[string]string{"sys": "dir", "sys" + aside: "link:/proc/self/root/OUT"}, "kind=symlink"},
		{"file", [][2]string{{"proc", "file:mine"}}, "/proc", false,
			map[string]string{"proc": "dir", "proc" + aside: "file:mine"}, "kind=\"regular file\""},
		{"fifo", [][2]string{{"dev", "fifo"}}, "/dev", false,
			map[string]string{"dev": "dir", "dev" + aside: "fifo"}, "kind=FIFO"},
		{"parent symlink out, followed", [][2]string{{"var", "link:OUT"}}, "/var/tmp", true,
			map[string]string{"var": "dir", "var/tmp": "dir", "var" + aside: "link:OUT"}, "kind=symlink"},
		{"parent symlink inside, followed", [][2]string{{"data", "dir"}, {"var", "link:/data"}}, "/var/tmp", true,
			map[string]string{"var": "link:/data", "data/tmp": "dir"}, ""},
		{"parent symlink inside, not followed", [][2]string{{"data", "dir"}, {"var", "link:/data"}}, "/var/tmp", false,
			map[string]string{"var": "dir", "var/tmp": "dir", "var" + aside: "link:/data", "data/tmp": "missing"}, "kind=symlink"},
		{"last symlink inside, followed parents", [][2]string{{"data", "dir"}, {"tmp", "link:/data"}}, "/tmp", true,
			map[string]string{"tmp": "dir", "tmp" + aside: "link:/data"}, "kind=symlink"},
		{"symlink loop", [][2]string{{"var", "link:/var"}}, "/var/tmp", true,
			map[string]string{"var": "dir", "var/tmp": "dir", "var" + aside: "link:/var"}, "kind=symlink"},
		{"second move the same second", [][2]string{{"tmp", "fifo"}, {"tmp" + aside, "file:older"}}, "/tmp", false,
			map[string]string{"tmp": "dir", "tmp" + aside: "file:older", "tmp" + aside + "-1": "fifo"}, "kind=FIFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := inroottest.NewTree(t, tt.entries)
			var log bytes.Buffer
			var fd int
			var err error
			inroottest.Within(t, tt.path, func() { fd, err = testRoot(tr, &log).mkdirAll(tt.path, 0o755, tt.followParents) })
			if err != nil {
				t.Fatalf("mkdirAll(%q): %v", tt.path, err)
			}
			unix.Close(fd)
			for p, want := range tt.want {
				if got := tr.Kind(t, p); got != want {
					t.Errorf("after mkdirAll(%q), %s is %q, want %q", tt.path, p, got, want)
				}
			}
			if tt.wantLog == "" && log.Len() > 0 || !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log = %q, want it to say %q", log.String(), tt.wantLog)
			}
			tr.CheckOutside(t)
		})
	}
}

func TestReplaceFileInRoot(t *testing.T) {
	tests := []struct {
		name    string
		entries [][2]string
		want    string // kind of etc/resolv.conf afterwards
		wantErr bool
	}{
		{"missing", [][2]string{{"etc", "dir"}}, "file:new", false},
		{"file", [][2]string{{"etc/resolv.conf", "file:old"}}, "file:new", false},
		{"symlink out", [][2]string{{"etc/resolv.conf", "link:OUT/secret"}}, "file:new", false},
		{"symlink to zero", [][2]string{{"etc/resolv.conf", "link:/dev/zero"}}, "file:new", false},
		{"fifo", [][2]string{{"etc/resolv.conf", "fifo"}}, "file:new", false},
		{"leftover temp", [][2]string{{"etc/resolv.conf.vmhost-new", "link:OUT/secret"}}, "file:new", false},
		{"directory", [][2]string{{"etc/resolv.conf", "dir"}}, "dir", true},
		{"etc symlink out", [][2]string{{"etc", "link:OUT"}}, "missing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := inroottest.NewTree(t, tt.entries)
			var log bytes.Buffer
			var err error
			inroottest.Within(t, tt.name, func() { err = testRoot(tr, &log).replaceFile("/etc/resolv.conf", []byte("new"), 0o644) })
			if (err != nil) != tt.wantErr {
				t.Errorf("replaceFile: %v, want error %v", err, tt.wantErr)
			}
			if got := tr.Kind(t, "etc/resolv.conf"); got != tt.want {
				t.Errorf("etc/resolv.conf is %q, want %q", got, tt.want)
			}
			if got := tr.Kind(t, "etc/resolv.conf.vmhost-new"); got != "missing" {
				t.Errorf("temporary file left: %q", got)
			}
			tr.CheckOutside(t)
		})
	}
}

func TestUpdateFileInRoot(t *testing.T) {
	upper := func(old []byte) []byte { return append(bytes.ToUpper(old), "!"...) }
	tests := []struct {
		name    string
		entries [][2]string
		want    map[string]string
		wantErr error
	}{
		{"missing", [][2]string{{"etc", "dir"}}, map[string]string{"etc/hosts": "file:!"}, nil},
		{"file", [][2]string{{"etc/hosts", "file:abc"}}, map[string]string{"etc/hosts": "file:ABC!"}, nil},
		{"symlink inside", [][2]string{{"etc/hosts", "link:hosts.real"}, {"etc/hosts.real", "file:abc"}},
			map[string]string{"etc/hosts": "link:hosts.real", "etc/hosts.real": "file:ABC!"}, nil},
		{"symlink out", [][2]string{{"etc/hosts", "link:OUT/secret"}}, map[string]string{"etc/hosts": "link:OUT/secret"}, unix.EEXIST},
		{"symlink to zero", [][2]string{{"etc/hosts", "link:/dev/zero"}}, map[string]string{"etc/hosts": "link:/dev/zero"}, unix.EEXIST},
		{"fifo", [][2]string{{"etc/hosts", "fifo"}}, map[string]string{"etc/hosts": "fifo"}, inroot.ErrNotRegular},
		{"directory", [][2]string{{"etc/hosts", "dir"}}, map[string]string{"etc/hosts": "dir"}, inroot.ErrNotRegular},
		{"huge", [][2]string{{"etc/hosts", "big:xx"}}, nil, inroot.ErrTooBig},
		{"etc symlink out", [][2]string{{"etc", "link:OUT"}}, map[string]string{"etc": "link:OUT"}, unix.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := inroottest.NewTree(t, tt.entries)
			var log bytes.Buffer
			var err error
			inroottest.Within(t, tt.name, func() { err = testRoot(tr, &log).updateFile("/etc/hosts", upper) })
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("updateFile: %v, want %v", err, tt.wantErr)
			}
			for p, want := range tt.want {
				if got := tr.Kind(t, p); got != want {
					t.Errorf("%s is %q, want %q", p, got, want)
				}
			}
			tr.CheckOutside(t)
		})
	}
}

// TestUpdateFileInRootUnchanged checks that a file whose content stays is
// not written (on an overlay, not copied up).
func TestUpdateFileInRootUnchanged(t *testing.T) {
	tr := inroottest.NewTree(t, [][2]string{{"etc/hosts", "file:same"}})
	past := time.Unix(1600000000, 0)
	p := filepath.Join(tr.Root, "etc/hosts")
	if err := os.Chtimes(p, past, past); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := testRoot(tr, &log).updateFile("/etc/hosts", func(b []byte) []byte { return b }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(past) {
		t.Errorf("an unchanged /etc/hosts was written: mtime %v, %v", fi.ModTime(), err)
	}
}
