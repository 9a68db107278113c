package labs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// checkSinkName wants name to be two or three plain elements joined by
// '/', as collectName makes them.
func checkSinkName(name string) ([]string, error) {
	parts := strings.Split(name, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("%q is not a collected file's name", name)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\x00\\") {
			return nil, fmt.Errorf("%q is not a collected file's name", name)
		}
	}
	return parts, nil
}

// DirSink puts collected files under a directory of the host: each file
// is made anew (O_EXCL: nothing there is overwritten), 0600, in
// directories made 0700, and no symlink is followed out of the directory.
type DirSink struct {
	root *os.Root
}

// NewDirSink returns the sink of dir, which it makes (0700) if missing.
func NewDirSink(dir string) (*DirSink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return &DirSink{root: root}, nil
}

// Close releases the directory.
func (d *DirSink) Close() error { return d.root.Close() }

// Put implements Sink.
func (d *DirSink) Put(name string, data []byte) error {
	parts, err := checkSinkName(name)
	if err != nil {
		return err
	}
	for i := 1; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		if err := d.root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("making %s: %w", dir, err)
		}
		if fi, err := d.root.Lstat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s is not a directory; collect into a new directory", dir)
		}
	}
	f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscallNoFollow, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %w: nothing is overwritten; collect into a new directory", filepath.Join(d.root.Name(), name), ErrExists)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// TarSink writes collected files as a tar stream: a regular file entry
// per file, mode 0644, owned by root.
type TarSink struct {
	tw  *tar.Writer
	now time.Time
}

// NewTarSink returns a sink that writes to w; Close ends the stream.
func NewTarSink(w io.Writer, now time.Time) *TarSink {
	return &TarSink{tw: tar.NewWriter(w), now: now}
}

// Put implements Sink.
func (t *TarSink) Put(name string, data []byte) error {
	if _, err := checkSinkName(name); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: t.now, Format: tar.FormatPAX}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := t.tw.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return t.tw.Flush()
}

// Close ends the tar stream.
func (t *TarSink) Close() error { return t.tw.Close() }
