//go:build linux

package images

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// removeTree removes the directory tree at path, after unmounting whatever
// is mounted inside it: a debootstrap that was killed can leave its /proc,
// /sys or a bind mount of the host's /dev in the build, and removing through
// those would touch the host. It refuses if a mount stays.
func (s *Store) removeTree(path string) error {
	if err := unmountUnder(path); err != nil {
		return fmt.Errorf("not removing %s: %w", path, err)
	}
	return os.RemoveAll(path)
}

// unmountUnder detaches every mount at or below path, deepest first, and
// checks that none is left. Equivalent to: `umount -R -l PATH`.
func unmountUnder(path string) error {
	for _, m := range mountsUnder(path) {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
			return fmt.Errorf("unmounting %s: %w", m, err)
		}
	}
	if left := mountsUnder(path); len(left) > 0 {
		return fmt.Errorf("%s is still mounted", left[0])
	}
	return nil
}

// mountsUnder returns the mount points of this mount namespace at or below
// path, deepest first. Equivalent to: `findmnt -R -n -o TARGET PATH`.
func mountsUnder(path string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	path = filepath.Clean(path)
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == path || strings.HasPrefix(mp, path+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
