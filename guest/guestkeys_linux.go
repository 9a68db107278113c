package guest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"vmhost/atomicfile"
	"vmhost/inroot"
)

// Where a guest's own authorized keys are, and how much of them is read.
const (
	guestKeysPath     = "root/.ssh/authorized_keys"
	guestKeysSnapshot = "authorized_keys.snapshot"
	maxGuestKeys      = 64 << 10
)

// ErrNoGuestKeys is returned for a guest with no authorized keys of its own
// that vmhost may use: none, or a file it refuses (see AuthorizedKeys).
var ErrNoGuestKeys = errors.New("no authorized keys of its own")

// AuthorizedKeys returns the guest's own /root/.ssh/authorized_keys, as the
// guest's root wrote it (ssh-copy-id), so that its keys may log in to that
// guest. It is read on the host from the guest's own files (its overlay's
// upper layer), never following a symlink or leaving that layer, only if it
// is a regular file of at most 64 KiB that it and /root/.ssh and /root are
// owned by the guest's root and not writable by group or others, as sshd's
// StrictModes wants. The file in the guest's image, if any, is not used.
//
// A guest whose files are on a disk that is not mounted (stopped), or
// whose lock is held (starting or stopping), answers with the copy kept
// when the file was last read or the guest stopped. Nothing here starts a
// guest, waits for one, or mounts anything: unauthenticated clients call
// it.
func (m *Manager) AuthorizedKeys(owner, name string) ([]byte, error) {
	id := GuestID(owner, name)
	m.mu.Lock()
	e, ok := m.guests[id]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	if !e.mu.TryLock() {
		return m.keySnapshot(id)
	}
	defer e.mu.Unlock()
	if e.gone {
		return nil, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	upper, ok := m.liveUpper(e)
	if !ok {
		return m.keySnapshot(id)
	}
	data, err := readGuestKeys(upper, e.state.IDBase)
	m.keepKeySnapshot(id, data, err)
	return data, err
}

// liveUpper returns the guest's upper layer when it can be read now: in
// data_dir, or on its own disk while that is mounted for a running init.
// Called with e.mu held.
func (m *Manager) liveUpper(e *entry) (string, bool) {
	id := e.state.ID()
	if mnt, ok := m.mountedVolume(id); ok && isRunning(e.proc) {
		return filepath.Join(mnt, upperDir), true
	}
	s := m.opts.Storage
	if s == nil || !s.Has(id) {
		return filepath.Join(m.guestDir(id), upperDir), true
	}
	if !isRunning(e.proc) {
		return "", false
	}
	dir, ok := s.Mounted(id)
	return filepath.Join(dir, upperDir), ok
}

// snapshotKeys keeps a copy of the guest's keys before its disk is
// unmounted. Called with e.mu held.
func (m *Manager) snapshotKeys(st *State, layers string) {
	data, err := readGuestKeys(filepath.Join(layers, upperDir), st.IDBase)
	m.keepKeySnapshot(st.ID(), data, err)
}

// keepKeySnapshot records what reading a guest's keys gave: the keys, or
// none when there are none it may use. Other errors keep the copy.
func (m *Manager) keepKeySnapshot(id string, data []byte, err error) {
	path := filepath.Join(m.guestDir(id), guestKeysSnapshot)
	switch {
	case errors.Is(err, ErrNoGuestKeys):
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			m.log.Warn("removing the copy of a guest's authorized keys", "guest", id, "err", rmErr)
		}
	case err == nil:
		if old, _ := os.ReadFile(path); bytes.Equal(old, data) {
			return
		}
		if wErr := atomicfile.WriteFile(path, data, 0o600); wErr != nil {
			m.log.Warn("keeping a copy of a guest's authorized keys", "guest", id, "err", wErr)
		}
	}
}

// keySnapshot returns the copy of the guest's keys.
func (m *Manager) keySnapshot(id string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(m.guestDir(id), guestKeysSnapshot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("guest %s: %w", id, ErrNoGuestKeys)
	}
	return data, err
}

// readGuestKeys reads root/.ssh/authorized_keys of the upper layer upper,
// whose files the guest's root, host uid owner, owns.
func readGuestKeys(upper string, owner uint32) ([]byte, error) {
	dir, err := unix.Open(upper, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, ErrNoGuestKeys
	}
	if err != nil {
		return nil, fmt.Errorf("opening the upper layer: %w", err)
	}
	defer unix.Close(dir)
	for _, p := range []string{"root", "root/.ssh"} {
		if err := checkKeyDir(dir, p, owner); err != nil {
			return nil, err
		}
	}
	fd, err := inroot.OpenRegular(dir, guestKeysPath, unix.O_RDONLY, resolveUpper)
	if err != nil {
		return nil, fmt.Errorf("/%s: %w (%w)", guestKeysPath, ErrNoGuestKeys, err)
	}
	defer unix.Close(fd)
	if err := checkKeyOwner(fd, "/"+guestKeysPath, owner); err != nil {
		return nil, err
	}
	data, more, err := inroot.ReadAtMost(fd, maxGuestKeys)
	if err != nil {
		return nil, fmt.Errorf("reading /%s: %w", guestKeysPath, err)
	}
	if more {
		return nil, fmt.Errorf("/%s is bigger than %d bytes: %w", guestKeysPath, maxGuestKeys, ErrNoGuestKeys)
	}
	return data, nil
}

// checkKeyDir checks the directory p of the upper layer dir.
func checkKeyDir(dir int, p string, owner uint32) error {
	fd, err := inroot.Open(dir, p, unix.O_PATH|unix.O_DIRECTORY, resolveUpper)
	if err != nil {
		return fmt.Errorf("/%s: %w (%w)", p, ErrNoGuestKeys, err)
	}
	defer unix.Close(fd)
	return checkKeyOwner(fd, "/"+p, owner)
}

// checkKeyOwner wants fd owned by owner and not writable by group or others.
// Equivalent to: fstat.
func checkKeyOwner(fd int, name string, owner uint32) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if st.Uid != owner || st.Mode&0o022 != 0 {
		return fmt.Errorf("%s must be the guest root's and not writable by group or others (uid %d, mode %04o): %w",
			name, int64(st.Uid)-int64(owner), st.Mode&0o7777, ErrNoGuestKeys)
	}
	return nil
}
