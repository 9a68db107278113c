package images

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// listApplets returns the install path of every applet of the busybox at
// path, relative to the root, such as "usr/bin/wget". Equivalent to:
// `busybox --list-full`.
func listApplets(ctx context.Context, path string) ([]string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "--list-full")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing applets with %s --list-full: %w: %s", path, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var applets []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			applets = append(applets, line)
		}
	}
	if len(applets) == 0 {
		return nil, fmt.Errorf("%s --list-full listed no applets", path)
	}
	return applets, nil
}

// linkApplets makes a relative symlink to bin/busybox for each applet, such as
// usr/bin/wget -> ../../bin/busybox, and returns how many it made. It skips
// an applet whose path exists already, and one outside a directory (such as
// busybox's "linuxrc") or not local to rootfs.
func linkApplets(rootfs string, applets []string) (int, error) {
	n := 0
	for _, a := range applets {
		a = filepath.Clean(a)
		dir := filepath.Dir(a)
		if !filepath.IsLocal(a) || dir == "." || a == "bin/busybox" {
			continue
		}
		target, err := filepath.Rel(dir, "bin/busybox")
		if err != nil {
			return n, fmt.Errorf("linking applet %s: %w", a, err)
		}
		if err := os.MkdirAll(filepath.Join(rootfs, dir), 0o755); err != nil {
			return n, fmt.Errorf("linking applet %s: %w", a, err)
		}
		err = symlinkRoot(target, filepath.Join(rootfs, a))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("linking applet %s: %w", a, err)
		}
		n++
	}
	return n, nil
}
