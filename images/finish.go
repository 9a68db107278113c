package images

import (
	"errors"
	"os"
	"path/filepath"
)

// Crash points of an image build, for tests: see package crashpoint.
const (
	// CrashAfterExtract is in a build: its root filesystem is in the
	// build's temporary directory, not yet checked, without image.json.
	CrashAfterExtract = "image-after-extract"
	// CrashAfterRename is in a build: the complete build is renamed into
	// builds/, and not yet made current.
	CrashAfterRename = "image-after-rename"
)

// newLink is the temporary name of the rootfs link that setCurrent renames
// over the current one.
const newLink = ".rootfs.new"

// finishBuilds finishes what a crash left of the builds of every image: a
// complete build renamed into builds/ after the current one (or as the
// first) is made current, since the build was done and only its last step
// was not, and a temporary link is removed. Images that a build holds, in
// this or another process, are left alone.
func (s *Store) finishBuilds() {
	names, err := s.names()
	if err != nil {
		return
	}
	for _, name := range names {
		f, err := os.OpenFile(filepath.Join(s.dir, ".lock-"+name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.log.Warn("locking image", "image", name, "err", err)
			continue
		}
		if ok, _ := tryFlock(f); ok {
			s.finishBuild(name)
		}
		f.Close()
	}
}

// finishBuild makes the newest build of name current when it is newer than
// the current one and complete. The caller holds the file lock of name.
func (s *Store) finishBuild(name string) {
	os.Remove(filepath.Join(s.imageDir(name), newLink))
	ids, err := s.buildIDs(name)
	if err != nil || len(ids) == 0 {
		return
	}
	newest := ids[len(ids)-1]
	current, err := s.currentID(name)
	switch {
	case errors.Is(err, os.ErrNotExist): // the first build was not made current
	case err != nil, current == "", current >= newest:
		return // unreadable, of the layout before builds, or finished
	}
	img, err := readBuild(s.imageDir(name), s.buildDir(name, newest))
	if err == nil {
		err = checkShell(img.Rootfs)
	}
	if err != nil {
		s.log.Warn("leaving a build that is not current as it is", "image", name, "build", newest, "err", err)
		return
	}
	if err := s.setCurrent(name, newest); err != nil {
		s.log.Error("finishing an interrupted image build", "image", name, "build", newest, "err", err)
		return
	}
	s.log.Info("finished an interrupted image build: made it current", "image", name, "build", newest)
}
