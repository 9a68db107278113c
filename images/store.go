package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"vmhost/config"
)

// ErrNotBuilt is returned, wrapped, by Store.Get for an image that is not
// built yet.
var ErrNotBuilt = errors.New("not built")

// ErrInUse is wrapped by the error of removing an image that guests use.
var ErrInUse = errors.New("in use by guests")

// Store keeps the images of one daemon in a directory, <data_dir>/images, and
// builds them on first use. It is safe for concurrent use, and for use by
// several processes on the same directory.
type Store struct {
	dir       string
	log       *slog.Logger
	newSource func(config.Image) (Source, error)

	mu    sync.Mutex
	locks map[string]chan struct{} // per image name, see lock
	// reserve, when set, says why no build may start now, such as data_dir
	// being below the daemon's reserve; see SetReserve.
	reserve func() error
}

// SetReserve makes every build first ask check, which returns an error
// when the store's file system is too full for a build to start, such as
// reserve.Check with the configuration's storage reserve. Call it before
// the store is used.
func (s *Store) SetReserve(check func() error) {
	s.reserve = check
}

// NewStore returns the store of images in dir, <data_dir>/images, creating dir
// if needed. It repairs what a crash left of builds: temporary directories
// are removed, and a complete build not yet made current is made current.
// A nil log discards the logs.
func NewStore(dir string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, log: log, newSource: sourceFor, locks: map[string]chan struct{}{}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Warn("creating the image store", "dir", dir, "err", err)
	}
	s.removeStaleBuilds()
	s.finishBuilds()
	return s
}

// Ensure returns the current build of image name, building it from spec first
// if it is not built yet. Concurrent calls for one name build it once: the
// others wait for that build and return its image. progress receives short
// human lines about the build; it may be nil. A spec with no Source means
// that the config does not define the image.
func (s *Store) Ensure(ctx context.Context, name string, spec config.Image, progress io.Writer) (Image, error) {
	if err := checkSpec(name, spec); err != nil {
		return Image{}, err
	}
	if img, err := s.Get(name); !errors.Is(err, ErrNotBuilt) {
		return img, err
	}
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return Image{}, err
	}
	defer unlock()
	s.migrateLegacy(name)
	if img, err := s.Get(name); !errors.Is(err, ErrNotBuilt) {
		return img, err // built while we waited
	}
	return s.build(ctx, name, spec, orDiscard(progress))
}

// Rebuild builds image name again from spec and makes the new build current:
// guests made from now on use it. Older builds stay on disk, unchanged, for
// the guests made from them, until Prune or Remove. It waits for a build of
// the same name in progress, then builds anyway.
func (s *Store) Rebuild(ctx context.Context, name string, spec config.Image, progress io.Writer) (Image, error) {
	if err := checkSpec(name, spec); err != nil {
		return Image{}, err
	}
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return Image{}, err
	}
	defer unlock()
	s.migrateLegacy(name)
	return s.build(ctx, name, spec, orDiscard(progress))
}

// Get returns the current build of image name, or an error that matches
// ErrNotBuilt if it is not built yet.
func (s *Store) Get(name string) (Image, error) {
	if err := checkName(name); err != nil {
		return Image{}, err
	}
	img, err := s.current(name)
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

// List returns the current build of every built image, sorted by name. An
// image that cannot be read is logged and left out.
func (s *Store) List() ([]Image, error) {
	names, err := s.names()
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var images []Image
	for _, name := range names {
		img, err := s.current(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			s.log.Warn("skipping unreadable image", "image", name, "err", err)
			continue
		}
		images = append(images, img)
	}
	return images, nil
}

// checkSpec returns an error unless name is a valid name and spec defines it.
func checkSpec(name string, spec config.Image) error {
	if err := checkName(name); err != nil {
		return err
	}
	if spec.Source == "" {
		return fmt.Errorf("image %q is not defined in the config: add it under images, or choose another image", name)
	}
	return nil
}

// orDiscard returns w, or io.Discard if w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
