package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The disk-fill attack takes all the space and all the inodes the guest's
// root file system gives, as a tenant filling the host's disk would:
//
//	attacker disk-fill DIR
//
// It reports what statfs says of / (root_size, root_avail, root_files),
// how many bytes it wrote before a write failed (fill_bytes, fill_err), and
// how many empty files it made in DIR before that failed (files_made,
// files_err). It removes what it wrote and made before it exits.
func init() {
	register("disk-fill", func(args []string) error {
		if len(args) != 1 {
			return errors.New("usage: disk-fill DIR")
		}
		if err := reportStatfs("/"); err != nil {
			return err
		}
		if err := os.MkdirAll(args[0], 0o755); err != nil {
			return err
		}
		defer os.RemoveAll(args[0])
		fillBytes(filepath.Join(args[0], "fill"))
		os.Remove(filepath.Join(args[0], "fill"))
		fillInodes(args[0])
		return nil
	})
}

// reportStatfs reports the size, free space and inodes of the file system
// of path.
func reportStatfs(path string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", path, err)
	}
	report("root_size", int64(st.Blocks)*st.Bsize)
	report("root_avail", int64(st.Bavail)*st.Bsize)
	report("root_files", st.Files)
	return nil
}

// fillBytes writes to file in MiB until a write fails, up to 16GiB.
func fillBytes(file string) {
	f, err := os.Create(file)
	if err != nil {
		report("fill_err", errName(err))
		return
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for n < 16<<30 {
		k, err := f.Write(buf)
		n += int64(k)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			report("fill_err", errName(err))
			break
		}
	}
	report("fill_bytes", n)
}

// fillInodes makes empty files in dir until that fails, up to a million.
func fillInodes(dir string) {
	var n int
	for n < 1e6 {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint("i", n)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			report("files_err", errName(err))
			break
		}
		f.Close()
		n++
	}
	report("files_made", n)
}
