package images

import (
	"os"
	"path/filepath"
	"strings"
)

// buildPrefix starts the name of the temporary directory of a build:
// <dir>/.build-<name>-<random digits>.
const buildPrefix = ".build-"

// buildName returns the image name of a build directory's base name, and
// whether it is one.
func buildName(base string) (string, bool) {
	rest, ok := strings.CutPrefix(base, buildPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

// removeStaleBuilds removes the build directories that no build is using: a
// crash left them behind. A build that runs in another process holds the file
// lock of its name, and its directory is left alone.
func (s *Store) removeStaleBuilds() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name, ok := buildName(e.Name())
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		f, err := os.OpenFile(filepath.Join(s.dir, ".lock-"+name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.log.Warn("locking image", "image", name, "err", err)
			continue
		}
		if ok, _ := tryFlock(f); ok {
			s.removeBuilds(name)
		}
		f.Close()
	}
}

// removeBuilds removes the build directories of image name. The caller holds
// the file lock of name.
func (s *Store) removeBuilds(name string) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n, ok := buildName(e.Name()); !ok || n != name {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		if err := s.removeTree(p); err != nil {
			s.log.Warn("removing an interrupted image build", "dir", p, "err", err)
			continue
		}
		s.log.Info("removed an interrupted image build", "dir", p)
	}
}
