package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"vmhost/config"
)

// ErrNotBuilt is returned, wrapped, by Store.Get for an image that is not
// built yet.
var ErrNotBuilt = errors.New("not built")

// Store keeps the images of one daemon in a directory, <data_dir>/images, and
// builds them on first use. It is safe for concurrent use, and for use by
// several processes on the same directory.
type Store struct {
	dir       string
	log       *slog.Logger
	newSource func(config.Image) (Source, error)

	mu    sync.Mutex
	locks map[string]chan struct{} // per image name, see lock
}

// NewStore returns the store of images in dir, <data_dir>/images, creating dir
// if needed. It removes the temporary directories of builds that a crash
// interrupted. A nil log discards the logs.
func NewStore(dir string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, log: log, newSource: sourceFor, locks: map[string]chan struct{}{}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Warn("creating the image store", "dir", dir, "err", err)
	}
	s.removeStaleBuilds()
	return s
}

// Ensure returns the image name, building it from spec first if it is not
// built yet. Concurrent calls for one name build it once: the others wait for
// that build and return its image. progress receives short human lines about
// the build; it may be nil. A spec with no Source means that the config does
// not define the image.
func (s *Store) Ensure(ctx context.Context, name string, spec config.Image, progress io.Writer) (Image, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := checkName(name); err != nil {
		return Image{}, err
	}
	if spec.Source == "" {
		return Image{}, fmt.Errorf("image %q is not defined in the config: add it under images, or choose another image", name)
	}
	if img, err := s.Get(name); !errors.Is(err, ErrNotBuilt) {
		return img, err
	}
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return Image{}, err
	}
	defer unlock()
	if img, err := s.Get(name); !errors.Is(err, ErrNotBuilt) {
		return img, err // built while we waited
	}
	return s.build(ctx, name, spec, progress)
}

// Get returns the built image name, or an error that matches ErrNotBuilt if
// it is not built yet.
func (s *Store) Get(name string) (Image, error) {
	if err := checkName(name); err != nil {
		return Image{}, err
	}
	img, err := readImage(filepath.Join(s.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return Image{}, fmt.Errorf("image %q is %w: build it with \"vmhostd image build %s\", or log in to a guest that uses it", name, ErrNotBuilt, name)
	}
	if err != nil {
		return Image{}, fmt.Errorf("reading image %q: %w", name, err)
	}
	if err := checkShell(img.Rootfs); err != nil {
		return Image{}, errNoShell(name, err)
	}
	return img, nil
}

// List returns the built images, sorted by name. An image directory that
// cannot be read is logged and left out.
func (s *Store) List() ([]Image, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var images []Image
	for _, e := range entries { // sorted by name
		if !e.IsDir() || checkName(e.Name()) != nil {
			continue
		}
		img, err := readImage(filepath.Join(s.dir, e.Name()))
		if err != nil {
			s.log.Warn("skipping unreadable image", "image", e.Name(), "err", err)
			continue
		}
		images = append(images, img)
	}
	return images, nil
}

// build builds image name from spec in a temporary directory inside the store
// and renames it into place when it is complete. On failure it leaves nothing
// behind. The caller holds the lock of name.
func (s *Store) build(ctx context.Context, name string, spec config.Image, progress io.Writer) (img Image, err error) {
	src, err := s.newSource(spec)
	if err != nil {
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	s.removeBuilds(name)
	tmp, err := os.MkdirTemp(s.dir, buildPrefix+name+"-")
	if err != nil {
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	start := time.Now()
	fmt.Fprintf(progress, "building image %s from source %s...\n", name, spec.Source)
	if err := s.fill(ctx, tmp, name, spec, src, progress); err != nil {
		return Image{}, err
	}
	final := filepath.Join(s.dir, name)
	if err := os.Rename(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) { // built by someone that ignores our lock
			os.RemoveAll(tmp)
			return s.Get(name)
		}
		return Image{}, fmt.Errorf("building image %q: %w", name, err)
	}
	if err := syncDir(s.dir); err != nil {
		s.log.Warn("syncing the image store", "dir", s.dir, "err", err)
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(progress, "image %s built in %v\n", name, elapsed)
	s.log.Info("image built", "image", name, "source", spec.Source, "duration", elapsed)
	return s.Get(name)
}

// fill makes tmp a complete image directory: rootfs/ built by src and checked,
// then image.json.
func (s *Store) fill(ctx context.Context, tmp, name string, spec config.Image, src Source, progress io.Writer) error {
	rootfs := filepath.Join(tmp, "rootfs")
	if err := mkdirRoot(rootfs, 0o755); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	if err := src.Build(ctx, rootfs, progress); err != nil {
		return fmt.Errorf("building image %q: %w", name, err)
	}
	if err := checkShell(rootfs); err != nil {
		return errNoShell(name, err)
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
