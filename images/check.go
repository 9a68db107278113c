package images

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxSymlinks is how many symlinks resolveInRoot follows before it gives up,
// as the kernel does (ELOOP).
const maxSymlinks = 40

// checkShell returns nil if rootfs has an executable regular file at /bin/sh,
// following symlinks inside rootfs as the guest would see them.
func checkShell(rootfs string) error {
	return checkExecutable(rootfs, "/bin/sh")
}

// checkExecutable returns nil if rootfs has an executable regular file at
// name, following symlinks inside rootfs as the guest would see them.
func checkExecutable(rootfs, name string) error {
	p, err := resolveInRoot(rootfs, name)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s resolves to %s, which is not a regular file", name, inRoot(rootfs, p))
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s resolves to %s, which is not executable", name, inRoot(rootfs, p))
	}
	return nil
}

// resolveInRoot returns the host path of name inside root, following every
// symlink as if root were "/": an absolute target starts again at root and
// ".." stops at root, so the result never leaves root.
func resolveInRoot(root, name string) (string, error) {
	cur := "/"
	pending := splitPath(name)
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		host := filepath.Join(root, next)
		fi, err := os.Lstat(host)
		if err != nil {
			return "", fmt.Errorf("resolving %s: %s: %w", name, next, unwrapPathError(err))
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", fmt.Errorf("resolving %s: too many levels of symbolic links", name)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", name, err)
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		pending = append(splitPath(target), pending...)
	}
	return filepath.Join(root, cur), nil
}

// splitPath splits a slash-separated path into its non-empty components.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// inRoot turns a host path under root back into the path the guest sees.
func inRoot(root, host string) string {
	rel, err := filepath.Rel(root, host)
	if err != nil {
		return host
	}
	if rel == "." {
		return "/"
	}
	return "/" + filepath.ToSlash(rel)
}

// unwrapPathError drops the host path from an *os.PathError, so that messages
// name paths as the guest sees them.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
