package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vmhost/config"
	"vmhost/crashpoint"
)

// build builds image name from spec in a temporary directory inside the store
// and, once it is complete and checked, moves it to a new build directory and
// makes it the current build. On failure it leaves nothing behind. The caller
// holds the lock of name.
func (s *Store) build(ctx context.Context, name string, spec config.Image, progress io.Writer) (img Image, err error) {
	src, err := s.newSource(spec)
	if err != nil {
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	if s.reserve != nil {
		if err := s.reserve(); err != nil {
			return Image{}, fmt.Errorf("building image %q: %w; free some space first", name, err)
		}
	}
	s.removeBuilds(name)
	tmp, err := os.MkdirTemp(s.dir, buildPrefix+name+"-")
	if err != nil {
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	defer func() {
		if err != nil {
			s.removeTree(tmp)
		}
	}()
	start := time.Now()
	fmt.Fprintf(progress, "building image %s from source %s...\n", name, spec.Source)
	if err := s.fill(ctx, tmp, name, spec, src, progress); err != nil {
		return Image{}, err
	}
	id, err := s.commit(name, tmp)
	if err != nil {
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(progress, "image %s built in %v\n", name, elapsed)
	s.log.Info("image built", "image", name, "build", id, "source", spec.Source, "duration", elapsed)
	return s.Get(name)
}

// fill makes tmp a complete build directory: rootfs/ built by src and checked,
// then image.json.
func (s *Store) fill(ctx context.Context, tmp, name string, spec config.Image, src Source, progress io.Writer) error {
	rootfs := filepath.Join(tmp, "rootfs")
	if err := mkdirRoot(rootfs, 0o755); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	if err := src.Build(ctx, rootfs, progress); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	crashpoint.At(CrashAfterExtract)
	if err := checkBuilt(rootfs, src); err != nil {
		return fmt.Errorf("image %q %w", name, err)
	}
	m := metadata{Name: name, Source: spec.Source, Built: time.Now().UTC(), Config: specFromConfig(spec)}
	if err := writeMetadata(tmp, m); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	if err := syncFS(tmp); err != nil {
		return fmt.Errorf("building image %q: syncing it to disk: %w", name, err)
	}
	return nil
}

// checkBuilt checks what every image needs, an executable /bin/sh, then what
// src promises, if it has a Check method. The error reads after "image NAME".
func checkBuilt(rootfs string, src Source) error {
	if err := checkShell(rootfs); err != nil {
		return fmt.Errorf("has no /bin/sh; it cannot be used as a guest: %w", err)
	}
	if c, ok := src.(checker); ok {
		if err := c.Check(rootfs); err != nil {
			return fmt.Errorf("is not complete: %w", err)
		}
	}
	return nil
}

// errNoShell is the error for an image that has no usable /bin/sh.
func errNoShell(name string, err error) error {
	return fmt.Errorf("image %q has no /bin/sh; it cannot be used as a guest: %w", name, err)
}

// checkName returns an error unless name can be a directory of the store:
// letters, digits, '.', '-' and '_', not starting with '.' or '-'.
func checkName(name string) error {
	ok := name != "" && len(name) <= 64 && name[0] != '.' && name[0] != '-'
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_", r))
	}
	if !ok {
		return fmt.Errorf("image name %q is not valid: use up to 64 letters, digits, '.', '-' and '_', starting with a letter or digit", name)
	}
	return nil
}
