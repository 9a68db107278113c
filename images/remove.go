package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Builds returns every build of image name that can be read, oldest first:
// the current one and the older ones that guests may still use.
func (s *Store) Builds(name string) ([]Image, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ids, err := s.buildIDs(name)
	if err != nil {
		return nil, fmt.Errorf("listing the builds of image %q: %w", name, err)
	}
	var images []Image
	for _, id := range ids {
		img, err := readBuild(s.imageDir(name), s.buildDir(name, id))
		if err != nil {
			s.log.Warn("skipping unreadable image build", "image", name, "build", id, "err", err)
			continue
		}
		images = append(images, img)
	}
	return images, nil
}

// Remove removes image name and all its builds. It refuses while inUse says
// that a guest uses one of them: inUse is asked about the Rootfs of every
// build, and about the contract path <dir>/<name>/rootfs. A nil inUse means
// that no guest uses any. It waits for a build of name in progress.
func (s *Store) Remove(name string, inUse func(rootfs string) bool) error {
	if err := checkName(name); err != nil {
		return err
	}
	unlock, err := s.lock(context.Background(), name)
	if err != nil {
		return err
	}
	defer unlock()
	dir := s.imageDir(name)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("image %q is %w: there is nothing to remove", name, ErrNotBuilt)
	}
	if s.inUse(name, inUse) {
		return fmt.Errorf("image %q is %w; remove them first", name, ErrInUse)
	}
	if err := s.removeTree(dir); err != nil {
		return fmt.Errorf("removing image %q: %w", name, err)
	}
	s.log.Info("image removed", "image", name)
	return nil
}

// inUse says whether inUse reports any build of name, or its current link,
// as used.
func (s *Store) inUse(name string, inUse func(rootfs string) bool) bool {
	if inUse == nil {
		return false
	}
	if inUse(filepath.Join(s.imageDir(name), currentLink)) {
		return true
	}
	ids, _ := s.buildIDs(name)
	for _, id := range ids {
		if inUse(filepath.Join(s.buildDir(name, id), "rootfs")) {
			return true
		}
	}
	return false
}

// Prune removes the builds of every image that are not current and that
// inUse does not report as used (a nil inUse reports none), such as the
// builds left by Rebuild once their guests are gone. It waits for builds in
// progress.
func (s *Store) Prune(inUse func(rootfs string) bool) error {
	names, err := s.names()
	if err != nil {
		return fmt.Errorf("pruning images: %w", err)
	}
	var errs []error
	for _, name := range names {
		errs = append(errs, s.prune(name, inUse))
	}
	return errors.Join(errs...)
}

// prune removes the unused old builds of name.
func (s *Store) prune(name string, inUse func(rootfs string) bool) error {
	unlock, err := s.lock(context.Background(), name)
	if err != nil {
		return err
	}
	defer unlock()
	s.migrateLegacy(name)
	current, err := s.currentID(name)
	notBuilt := errors.Is(err, os.ErrNotExist)
	if err != nil && !notBuilt {
		return fmt.Errorf("pruning image %q: %w", name, err)
	}
	ids, err := s.buildIDs(name)
	if err != nil {
		return fmt.Errorf("pruning image %q: %w", name, err)
	}
	var errs []error
	for _, id := range ids {
		rootfs := filepath.Join(s.buildDir(name, id), "rootfs")
		if id == current || inUse != nil && inUse(rootfs) {
			continue
		}
		if err := s.removeTree(s.buildDir(name, id)); err != nil {
			errs = append(errs, fmt.Errorf("pruning build %s of image %q: %w", id, name, err))
			continue
		}
		s.log.Info("image build pruned", "image", name, "build", id)
	}
	if notBuilt { // no current build: drop the directories left empty
		os.Remove(filepath.Join(s.imageDir(name), buildsDir))
		os.Remove(s.imageDir(name))
	}
	return errors.Join(errs...)
}

// migrateLegacy moves an image of the layout before builds, a directory
// <dir>/<name>/rootfs, into a build of its own and makes it current, so that
// it can be rebuilt and pruned like any other. The caller holds the lock of
// name.
func (s *Store) migrateLegacy(name string) {
	id, err := s.currentID(name)
	if err != nil || id != "" {
		return
	}
	id = newBuildID()
	dir, to := s.imageDir(name), s.buildDir(name, id)
	err = os.MkdirAll(to, 0o755)
	if err == nil {
		err = os.Rename(filepath.Join(dir, currentLink), filepath.Join(to, "rootfs"))
	}
	if err == nil {
		err = os.Rename(filepath.Join(dir, metadataFile), filepath.Join(to, metadataFile))
	}
	if err == nil {
		err = s.setCurrent(name, id)
	}
	if err != nil {
		s.log.Warn("moving an image to the layout with builds", "image", name, "err", err)
		return
	}
	s.log.Info("moved an image to the layout with builds", "image", name, "build", id)
}
