package limits

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// waitEmpty implements hierarchy: it waits for the kernel to say, in the
// group's cgroup.events, that no process is left in it or below it
// ("populated 0"), woken by inotify each time the file changes. A group
// that is gone is empty; a tree without cgroup.events is looked at again and
// again. Equivalent to: `inotifywait -e modify
// /sys/fs/cgroup/PATH/cgroup.events` until it says populated 0.
func (h *v2) waitEmpty(path string, timeout time.Duration) error {
	events := filepath.Join(h.dir(path), "cgroup.events")
	w, err := watchModify(events)
	if errors.Is(err, os.ErrNotExist) { // gone (empty at once), or no events
		return pollEmpty(h, path, timeout)
	}
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("watching %s: %w", events, err)
	}
	for {
		populated, err := readPopulated(events)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !populated) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := awaitEvent(w); errors.Is(err, os.ErrDeadlineExceeded) {
			pids, _ := h.procs(path)
			return stillHas(pids)
		} else if err != nil {
			return fmt.Errorf("watching %s: %w", events, err)
		}
	}
}

// watchModify returns an inotify instance that reports each change of the
// file name, as a file whose reads wait for one (and take deadlines).
// Equivalent to: `inotifywait -m -e modify NAME`.
func watchModify(name string) (*os.File, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", name, err)
	}
	if _, err := unix.InotifyAddWatch(fd, name, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watching %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "inotify"), nil
}

// awaitEvent waits for, and drains, the events of the watch w.
func awaitEvent(w *os.File) error {
	var buf [4096]byte
	_, err := w.Read(buf[:])
	return err
}

// readPopulated reads whether a cgroup.events file says its group or one
// below it has processes.
func readPopulated(events string) (bool, error) {
	b, err := os.ReadFile(events)
	if err != nil {
		return false, err
	}
	return parsePopulated(b)
}

// parsePopulated reads the populated line of a cgroup.events file.
func parsePopulated(b []byte) (bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		switch sc.Text() {
		case "populated 0":
			return false, nil
		case "populated 1":
			return true, nil
		}
	}
	return false, fmt.Errorf("reading cgroup.events: no populated line in %q", b)
}
