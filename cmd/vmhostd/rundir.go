package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkSearchable wants every directory above dir, up to /, searchable by
// others (mode o+x); vmhostd sets dir's own mode. A guest's init, an
// unprivileged uid on the host, reaches its root's mount point under the run
// directory through them: a run_dir below a private directory (a 0700 mktemp
// directory, a home) would fail every login with "permission denied"; this
// says so at start instead.
func checkSearchable(what, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, dir, err)
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // a missing one is made 0711
			return fmt.Errorf("%s %s: %w", what, dir, err)
		}
		if err == nil && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s %s: the directory %s is not searchable by others (mode %04o), and guests reach their files through it; run chmod o+x %s, or choose a %s outside it",
				what, dir, p, fi.Mode().Perm(), p, what)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
