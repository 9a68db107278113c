package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// placeholder is the content of a file that each guest gets its own of
// when it starts.
const placeholder = "# written by vmhost when the guest starts\n"

// configureDebian makes a fresh debootstrap rootfs ready to be an image:
// apt sources for suite, files each guest rewrites at start reset to
// placeholders (debootstrap copies the host's), locale and timezone, an
// empty machine-id (made per guest, as on a first boot) and no package
// lists (a guest runs apt-get update first, with the sources above).
func configureDebian(rootfs, suite, mirror, security string) error {
	files := []struct {
		name string
		data string
		perm os.FileMode
	}{
		{"etc/apt/sources.list", sourcesList(suite, mirror, security), 0o644},
		{"etc/resolv.conf", placeholder, 0o644},
		{"etc/hostname", "localhost\n", 0o644},
		{"etc/hosts", etcHosts, 0o644},
		{"etc/default/locale", "LANG=C.UTF-8\n", 0o644},
		{"etc/timezone", "Etc/UTC\n", 0o644},
		{"etc/machine-id", "", 0o444},
	}
	for _, f := range files {
		if err := replaceFile(rootfs, f.name, f.data, f.perm); err != nil {
			return fmt.Errorf("writing /%s: %w", f.name, err)
		}
	}
	if err := replaceSymlink(rootfs, "etc/localtime", "/usr/share/zoneinfo/Etc/UTC"); err != nil {
		return fmt.Errorf("linking /etc/localtime: %w", err)
	}
	return removeAptLists(rootfs)
}

// replaceFile writes the file name of rootfs anew, owned by root: whatever
// was there, a symlink included, is removed first and never followed.
func replaceFile(rootfs, name, data string, perm os.FileMode) error {
	p := filepath.Join(rootfs, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := writeFile(p, []byte(data), perm); err != nil {
		return err
	}
	return chownRoot(p)
}

// replaceSymlink makes name of rootfs a symlink to target, owned by root.
func replaceSymlink(rootfs, name, target string) error {
	p := filepath.Join(rootfs, name)
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return symlinkRoot(target, p)
}

// removeAptLists removes the package lists and caches debootstrap left,
// which only knew the main suite: apt-get update in the guest fetches them
// all. Equivalent to:
// `rm -f /var/lib/apt/lists/*_* /var/cache/apt/*.bin`.
func removeAptLists(rootfs string) error {
	for _, pattern := range []string{"var/lib/apt/lists/*_*", "var/cache/apt/*.bin"} {
		matches, _ := filepath.Glob(filepath.Join(rootfs, pattern))
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				return fmt.Errorf("removing %s: %w", m, err)
			}
		}
	}
	return nil
}
