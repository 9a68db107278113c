package guestinit

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// maxGuestFile bounds what the init reads of a guest's small files
// (/etc/hosts, /etc/hostname, /etc/passwd): a bigger one is left alone.
const maxGuestFile = 1 << 20

// guestRoot is a guest's root directory as its init handles it: every path
// is resolved inside it (see inroot.Open), and an entry in the way of what
// the init must make is moved aside, with a log line, never followed.
type guestRoot struct {
	fd  int
	log *slog.Logger
	now func() time.Time
}

// mkdirAll makes the directory name and its missing parents inside the root,
// and returns an O_PATH descriptor of it. A symlink is never followed,
// except in a parent directory when followParents is set, and then only
// inside the root and on its file system. What is in the way (a file, a
// FIFO, a symlink not followed or leading nowhere) is moved aside and
// replaced by a directory of mode.
// Equivalent to: mkdir -p ROOT/NAME, as runc's MkdirAllInRoot.
func (r guestRoot) mkdirAll(name string, mode uint32, followParents bool) (int, error) {
	dir, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("making %s: %w", name, err)
	}
	parts := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	done := ""
	for i, p := range parts {
		if p == "" {
			break
		}
		follow := followParents && i < len(parts)-1
		next, err := r.dirAt(dir, done, p, mode, follow)
		unix.Close(dir)
		if err != nil {
			return -1, err
		}
		dir, done = next, done+"/"+p
	}
	return dir, nil
}

// dirAt opens the directory name in parent (the root's prefix), making it,
// or moving aside what is in its way, when it is not one.
func (r guestRoot) dirAt(parent int, prefix, name string, mode uint32, follow bool) (int, error) {
	shown := prefix + "/" + name
	var fd int
	var err error
	if follow {
		fd, err = inroot.Open(r.fd, shown, unix.O_PATH|unix.O_DIRECTORY, inroot.SameFS)
	} else {
		fd, err = inroot.Open(parent, name, unix.O_PATH|unix.O_DIRECTORY, inroot.NoSymlinks)
	}
	switch {
	case err == nil:
		return fd, nil
	case errors.Is(err, unix.ENOENT):
		err = unix.Mkdirat(parent, name, mode)
		if err == nil {
			return inroot.Open(parent, name, unix.O_PATH|unix.O_DIRECTORY, inroot.NoSymlinks)
		}
		if !errors.Is(err, unix.EEXIST) { // else a symlink leading nowhere
			return -1, fmt.Errorf("making %s: %w", shown, err)
		}
	case !errors.Is(err, unix.ENOTDIR) && !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.EXDEV):
		return -1, fmt.Errorf("opening %s: %w", shown, err)
	}
	if err := r.moveAside(parent, name, shown, "a directory belongs there"); err != nil {
		return -1, err
	}
	if err := unix.Mkdirat(parent, name, mode); err != nil {
		return -1, fmt.Errorf("making %s: %w", shown, err)
	}
	return inroot.Open(parent, name, unix.O_PATH|unix.O_DIRECTORY, inroot.NoSymlinks)
}

// moveAside renames the entry name of dir to NAME.vmhost-moved-UNIXTIME,
// so that nothing of the guest's is lost, and logs it.
// Equivalent to: mv -n DIR/NAME DIR/NAME.vmhost-moved-$(date +%s)
func (r guestRoot) moveAside(dir int, name, shown, why string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("checking %s: %w", shown, err)
	}
	stamp := r.now().Unix()
	for i := 0; ; i++ {
		aside := fmt.Sprintf("%s.vmhost-moved-%d", name, stamp)
		if i > 0 {
			aside += fmt.Sprintf("-%d", i)
		}
		err := unix.Renameat2(dir, name, dir, aside, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EEXIST) && i < 100 {
			continue
		}
		if err != nil {
			return fmt.Errorf("moving %s aside: %w", shown, err)
		}
		r.log.Warn("guest init: moved a file of the guest aside", "path", shown,
			"kind", inroot.FileKind(st.Mode), "why", why, "now", path.Join(path.Dir(shown), aside))
		return nil
	}
}

// replaceFile makes name a regular file holding data, through a temporary
// file and a rename in its directory, so that a symlink at name (such as a
// resolv.conf pointing to a resolver the guest does not run) is replaced,
// never followed.
// Equivalent to: printf DATA > NAME.vmhost-new && mv NAME.vmhost-new NAME
func (r guestRoot) replaceFile(name string, data []byte, mode uint32) error {
	dirName, base := path.Split(path.Clean("/" + name))
	dir, err := inroot.Open(r.fd, dirName, unix.O_PATH|unix.O_DIRECTORY, inroot.SameFS)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	defer unix.Close(dir)
	tmp := base + ".vmhost-new"
	unix.Unlinkat(dir, tmp, 0) // a leftover of a crash; a directory stays
	fd, err := unix.Openat(dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	err = writeAll(fd, data)
	if err == nil {
		err = unix.Fchmod(fd, mode)
	}
	unix.Close(fd)
	if err == nil {
		err = unix.Renameat(dir, tmp, dir, base)
	}
	if err != nil {
		unix.Unlinkat(dir, tmp, 0)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// updateFile rewrites the regular file name with what change makes of its
// content, when that differs; a missing file counts as empty and is made.
// The guest's own symlinks are followed inside its root file system; a file
// that is not regular, or bigger than maxGuestFile, is left alone with an
// error.
// Equivalent to: sed -i ... NAME
func (r guestRoot) updateFile(name string, change func([]byte) []byte) error {
	old, err := inroot.ReadFile(r.fd, name, inroot.SameFS, maxGuestFile)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	data := change(old)
	if err == nil && bytes.Equal(old, data) {
		return nil
	}
	fd, err := inroot.OpenRegular(r.fd, name, unix.O_WRONLY, inroot.SameFS)
	if errors.Is(err, unix.ENOENT) {
		fd, err = inroot.Open(r.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW, inroot.SameFS)
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", name, err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, 0); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := writeAll(fd, data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// writeAll writes data to fd.
func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// isExecutable reports whether name, resolved inside the root (its
// symlinks followed there, on its file system), is an executable regular
// file.
// Equivalent to: test -f NAME -a -x NAME, inside the root
func (r guestRoot) isExecutable(name string) bool {
	fd, err := inroot.Open(r.fd, name, unix.O_PATH, inroot.SameFS)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o111 != 0
}
