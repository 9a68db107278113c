package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vmhost/crashpoint"
)

// The layout of one image, <dir>/<name>:
//
//	rootfs -> builds/<id>/rootfs   the current build (the contract path)
//	builds/<id>/rootfs/            one build, never changed once made
//	builds/<id>/image.json         its metadata
//
// A new build gets a new id and becomes current by an atomic replace of the
// rootfs link; guests keep the resolved path of the build they were made
// from. An image of the layout before builds has a directory rootfs/ and
// image.json in <dir>/<name> itself: migrateLegacy moves it into builds/.
const (
	currentLink = "rootfs"
	buildsDir   = "builds"
)

// imageDir is <dir>/<name>.
func (s *Store) imageDir(name string) string {
	return filepath.Join(s.dir, name)
}

// buildDir is <dir>/<name>/builds/<id>, or <dir>/<name> for id "" (the
// legacy layout).
func (s *Store) buildDir(name, id string) string {
	if id == "" {
		return s.imageDir(name)
	}
	return filepath.Join(s.imageDir(name), buildsDir, id)
}

// current reads the current build of name. An image that is not built gives
// an error that matches os.ErrNotExist.
func (s *Store) current(name string) (Image, error) {
	id, err := s.currentID(name)
	if err != nil {
		return Image{}, err
	}
	return readBuild(s.imageDir(name), s.buildDir(name, id))
}

// currentID returns the id of the current build of name, "" for an image of
// the legacy layout.
func (s *Store) currentID(name string) (string, error) {
	link := filepath.Join(s.imageDir(name), currentLink)
	fi, err := os.Lstat(link)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", nil
	}
	target, err := os.Readlink(link)
	if err != nil {
		return "", err
	}
	id, ok := parseLink(target)
	if !ok {
		return "", fmt.Errorf("%s points to %s, which is not a build of the image; remove %s to rebuild it", link, target, s.imageDir(name))
	}
	return id, nil
}

// linkTarget is what <dir>/<name>/rootfs points to for build id.
func linkTarget(id string) string {
	return buildsDir + "/" + id + "/rootfs"
}

// parseLink returns the build id of a rootfs link's target, and whether the
// target is one that linkTarget makes.
func parseLink(target string) (string, bool) {
	rest, ok := strings.CutPrefix(target, buildsDir+"/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/rootfs")
	return id, ok && validBuildID(id)
}

// validBuildID says whether id can be a directory of builds/.
func validBuildID(id string) bool {
	return id != "" && id[0] != '.' && !strings.ContainsAny(id, "/\x00")
}

// newBuildID returns a new build id: the UTC time to the nanosecond, which
// sorts, such as "20250520T101500.123456789Z".
func newBuildID() string {
	return time.Now().UTC().Format("20060102T150405.000000000Z")
}

// commit moves the complete build directory tmp to a new build of name and
// makes it current. It returns the build's id.
func (s *Store) commit(name, tmp string) (string, error) {
	builds := filepath.Join(s.imageDir(name), buildsDir)
	if err := os.MkdirAll(builds, 0o755); err != nil {
		return "", err
	}
	id := newBuildID()
	if err := os.Rename(tmp, filepath.Join(builds, id)); err != nil {
		return "", err
	}
	if err := syncDir(builds); err != nil {
		s.log.Warn("syncing the image store", "dir", builds, "err", err)
	}
	crashpoint.At(CrashAfterRename)
	return id, s.setCurrent(name, id)
}

// setCurrent makes build id the current build of name: it replaces the link
// <dir>/<name>/rootfs atomically. Equivalent to:
// `ln -sfT builds/ID/rootfs DIR/NAME/rootfs` done with a rename.
func (s *Store) setCurrent(name, id string) error {
	dir := s.imageDir(name)
	tmp := filepath.Join(dir, newLink)
	os.Remove(tmp) // left by a crash
	if err := os.Symlink(linkTarget(id), tmp); err != nil {
		return fmt.Errorf("making build %s current: %w", id, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, currentLink)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("making build %s current: %w", id, err)
	}
	if err := syncDir(dir); err != nil {
		s.log.Warn("syncing the image store", "dir", dir, "err", err)
	}
	return nil
}

// buildIDs returns the ids of every build of name, oldest first.
func (s *Store) buildIDs(name string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.imageDir(name), buildsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries { // sorted by name, so by time
		if e.IsDir() && validBuildID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// names returns the names of the image directories in the store, sorted.
func (s *Store) names() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && checkName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
