package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// resetFiles drops the own files of the stopped guest st and records that
// it starts from its image's current build, all or nothing: its upper/ and
// work/ are first moved into a new <data_dir>/guests/.resetting-<id>-<n>/,
// then the state is written, then that directory is deleted. Once the
// directory exists the reset is decided: a daemon killed at any later point
// finishes it at its next start (see finishResets), so the guest never
// starts from half its files. An error before the state is written puts
// everything back.
func (m *Manager) resetFiles(st *State) error {
	dir := m.guestDir(st.ID())
	away := filepath.Join(m.opts.DataDir, "guests", fmt.Sprintf("%s%s-%d", resettingPrefix, st.ID(), time.Now().UnixNano()))
	if err := os.Mkdir(away, 0o700); err != nil {
		return fmt.Errorf("moving its files away: %w", err)
	}
	moved, err := moveOwnFiles(dir, away)
	if err == nil {
		next := *st
		next.Rootfs = "" // the next start takes the image's current build
		if err = writeState(dir, &next); err == nil {
			*st = next
		}
	}
	if err != nil {
		moveBack(dir, away, moved)
		return err
	}
	if err := removeTree(away); err != nil {
		m.log.Error("deleting the files of a reset guest; the next start retries", "guest", st.ID(), "dir", away, "err", err)
	}
	return nil
}

// moveOwnFiles renames the guest's upper/ and work/ from dir into away, and
// returns those it moved.
func moveOwnFiles(dir, away string) ([]string, error) {
	var moved []string
	for _, d := range []string{upperDir, workSubdir} {
		err := os.Rename(filepath.Join(dir, d), filepath.Join(away, d))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return moved, fmt.Errorf("moving its files away: %w", err)
		default:
			moved = append(moved, d)
		}
		crashPoint(CrashResetAfterRename)
	}
	return moved, nil
}

// moveBack undoes moveOwnFiles after an error, and removes away once empty.
func moveBack(dir, away string, moved []string) {
	for _, d := range moved {
		os.Rename(filepath.Join(away, d), filepath.Join(dir, d))
	}
	os.Remove(away)
}

// resetLeftover returns the guest id a .resetting-<id>-<n> directory name
// was made for, and whether name is one.
func resetLeftover(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, resettingPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.ParseUint(rest[i+1:], 10, 64); err != nil {
		return "", false
	}
	return rest[:i], true
}

// finishResets finishes the resets a crash interrupted: each guest with a
// .resetting-* directory loses what is left of its upper/ and work/ and
// starts from its image's current build. A guest whose init runs, which no
// reset leaves, gets back what was moved instead. Called at start, with
// every guest loaded.
func (m *Manager) finishResets() {
	dir := filepath.Join(m.opts.DataDir, "guests")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, d := range entries {
		id, ok := resetLeftover(d.Name())
		if !ok {
			continue
		}
		away := filepath.Join(dir, d.Name())
		if e := m.guests[id]; e != nil && !m.finishReset(e, away) {
			continue
		}
		if err := removeTree(away); err != nil {
			m.log.Error("removing the leftover of an interrupted reset", "dir", away, "err", err)
		}
	}
}

// finishReset finishes the reset of guest e that moved files to away, and
// reports whether away may be deleted.
func (m *Manager) finishReset(e *entry, away string) bool {
	st, dir := &e.state, m.guestDir(e.state.ID())
	if isRunning(e.proc) {
		m.log.Error("a reset was interrupted, but the guest runs; its files are kept", "guest", st.ID())
		moveBack(dir, away, []string{upperDir, workSubdir})
		return false
	}
	m.log.Info("finishing the reset a crash interrupted", "guest", st.ID())
	for _, d := range []string{upperDir, workSubdir} {
		if err := removeTree(filepath.Join(dir, d)); err != nil {
			m.log.Error("finishing the reset of guest", "guest", st.ID(), "err", err)
		}
	}
	if st.Rootfs != "" {
		st.Rootfs = ""
		e.publish("", nil)
		if err := writeState(dir, st); err != nil {
			m.log.Error("finishing the reset of guest", "guest", st.ID(), "err", err)
		}
	}
	return true
}
