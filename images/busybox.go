package images

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// defaultBusyboxPaths are where Busybox looks for the host's busybox, in order,
// when its Path is empty.
var defaultBusyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// Busybox builds a tiny image from the host's static busybox: the binary, a
// symlink per applet, the usual directory tree and a minimal /etc. It takes
// milliseconds and needs no network.
type Busybox struct {
	// Path is the busybox binary to copy. Empty means the first static one of
	// /bin/busybox and /usr/bin/busybox.
	Path string
}

// Build copies busybox into rootfs and makes the applet links, the tree and
// /etc around it. Equivalent to:
//
//	cp /bin/busybox ROOTFS/bin/ && chroot ROOTFS /bin/busybox --install -s
//
// with relative links and a small skeleton of directories and /etc files.
func (b *Busybox) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	path, data, err := b.find()
	if err != nil {
		return err
	}
	version := busyboxVersion(data)
	fmt.Fprintf(progress, "copying %s from %s...\n", version, path)
	if err := makeSkeleton(rootfs, version); err != nil {
		return err
	}
	bin := filepath.Join(rootfs, "bin/busybox")
	if err := writeFile(bin, data, 0o755); err != nil {
		return fmt.Errorf("copying %s: %w", path, err)
	}
	if err := chownRoot(bin); err != nil {
		return fmt.Errorf("copying %s: %w", path, err)
	}
	applets, err := listApplets(ctx, path)
	if err != nil {
		return err
	}
	n, err := linkApplets(rootfs, applets)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "linked %d busybox applets\n", n)
	return nil
}

// find returns the path and content of the static busybox to copy.
func (b *Busybox) find() (string, []byte, error) {
	paths := defaultBusyboxPaths
	if b.Path != "" {
		paths = []string{b.Path}
	}
	var firstErr error
	for _, p := range paths {
		data, err := readStaticBusybox(p)
		if err == nil {
			return p, data, nil
		}
		if firstErr == nil && !errors.Is(err, os.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", nil, firstErr
	}
	return "", nil, fmt.Errorf("no busybox at %s: install busybox-static (apt-get install busybox-static)",
		strings.Join(paths, " or "))
}

// readStaticBusybox reads the binary at path and checks that it is a
// statically linked ELF executable, which runs in any rootfs.
func readStaticBusybox(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading busybox: %w", err)
	}
	if err := checkStaticELF(data); err != nil {
		return nil, fmt.Errorf("%s %v; a guest needs a static busybox: install busybox-static (apt-get install busybox-static)", path, err)
	}
	return data, nil
}

// checkStaticELF returns nil if data is an ELF executable with no program
// interpreter (PT_INTERP), so that it needs no shared library.
func checkStaticELF(data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return errors.New("is not an ELF binary")
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("is dynamically linked")
		}
	}
	return nil
}

// busyboxVersion returns the version banner inside a busybox binary, such as
// "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)", or "BusyBox" if there is
// none. It keeps only the characters that need no quoting in os-release.
func busyboxVersion(data []byte) string {
	i := bytes.Index(data, []byte("BusyBox v"))
	if i < 0 {
		return "BusyBox"
	}
	s := data[i:min(i+128, len(data))]
	if j := bytes.IndexAny(s, "\x00\n"); j >= 0 {
		s = s[:j]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' || strings.ContainsRune("\"\\$`", r) {
			return -1
		}
		return r
	}, string(s))
}
