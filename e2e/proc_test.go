package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// guestState is the part of <data_dir>/guests/<guest>/guest.json the tests read.
type guestState struct {
	InitPID int `json:"init_pid"`
	// InitStart is the init's start time in clock ticks, field 22 of
	// /proc/PID/stat: with the pid, it names the process without ambiguity.
	InitStart uint64 `json:"init_start"`
}

// guestStates reads every <dataDir>/guests/*/guest.json, by guest directory.
// No guests directory means no guests.
func guestStates(dataDir string) (map[string]guestState, error) {
	paths, err := filepath.Glob(filepath.Join(dataDir, "guests", "*", "guest.json"))
	if err != nil {
		return nil, err
	}
	states := map[string]guestState{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var st guestState
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		states[filepath.Base(filepath.Dir(p))] = st
	}
	return states, nil
}

// guestDirs lists the entries of <dataDir>/guests; none when it is missing.
func guestDirs(t testing.TB, dataDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "guests"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// running reports whether the guest's init still runs.
func (st guestState) running() bool {
	return st.InitPID > 1 && processRunning(st.InitPID, st.InitStart)
}

// procStat holds the fields of /proc/PID/stat the tests use.
type procStat struct {
	state     byte   // field 3: R, S, Z, ...
	startTime uint64 // field 22, in clock ticks since boot
}

// readStat reads /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name, field 2, is in parentheses and may hold anything.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 20 {
		return procStat{}, fmt.Errorf("reading /proc/%d/stat: malformed: %q", pid, b)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("reading /proc/%d/stat: %w", pid, err)
	}
	return procStat{state: f[0][0], startTime: start}, nil
}

// processRunning reports whether the process pid that started at start is
// still there and not a zombie.
func processRunning(pid int, start uint64) bool {
	st, err := readStat(pid)
	return err == nil && st.startTime == start && st.state != 'Z'
}

// openProcess returns a pidfd for the process pid that started at start, or
// -1 when that process is gone.
func openProcess(pid int, start uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("opening pidfd of %d: %w", pid, err)
	}
	// Checked after opening: the pidfd holds on to the process it names.
	if !processRunning(pid, start) {
		unix.Close(fd)
		return -1, nil
	}
	return fd, nil
}

// waitExit waits up to timeout for the process pid that started at start to
// exit, and reports whether it did. A zombie has exited.
func waitExit(pid int, start uint64, timeout time.Duration) (bool, error) {
	fd, err := openProcess(pid, start)
	if fd < 0 || err != nil {
		return err == nil, err
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return false, nil
		}
		// A pidfd is readable once its process has exited.
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if n > 0 {
			return true, nil
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return false, fmt.Errorf("polling pidfd of %d: %w", pid, err)
		}
	}
}

// killProcess sends SIGKILL to the process pid that started at start, if it
// still runs, and waits up to timeout for it to exit.
func killProcess(pid int, start uint64, timeout time.Duration) error {
	fd, err := openProcess(pid, start)
	if fd < 0 || err != nil {
		return err
	}
	err = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	unix.Close(fd)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("killing %d: %w", pid, err)
	}
	gone, err := waitExit(pid, start, timeout)
	if err == nil && !gone {
		err = fmt.Errorf("process %d still there %v after SIGKILL", pid, timeout)
	}
	return err
}

// statusField returns the words of the line "name:" of /proc/PID/status.
func statusField(pid int, name string) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.Fields(rest), nil
		}
	}
	return nil, fmt.Errorf("no %s in /proc/%d/status", name, pid)
}

// hostPID finds the host pid of the process whose pid in the pid namespace of
// the process initPID is nsPID.
func hostPID(initPID, nsPID int) (int, error) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPID))
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		nspids, err := statusField(pid, "NSpid")
		if err != nil || len(nspids) == 0 || nspids[len(nspids)-1] != strconv.Itoa(nsPID) {
			continue
		}
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); l == ns {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process with pid %d in the pid namespace of %d", nsPID, initPID)
}

// idMap is one line of a uid_map or gid_map: inside ids [inside,
// inside+count) are outside ids [outside, outside+count).
type idMap struct {
	inside, outside, count uint32
}

// parseIDMap parses a uid_map or gid_map of exactly one line.
func parseIDMap(text string) (idMap, error) {
	f := strings.Fields(text)
	if len(f) != 3 {
		return idMap{}, fmt.Errorf("id map %q: want one line of three numbers", text)
	}
	var n [3]uint32
	for i, s := range f {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return idMap{}, fmt.Errorf("id map %q: %w", text, err)
		}
		n[i] = uint32(v)
	}
	return idMap{inside: n[0], outside: n[1], count: n[2]}, nil
}

// processIDMap reads and parses /proc/PID/uid_map.
func processIDMap(pid int) (idMap, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	if err != nil {
		return idMap{}, err
	}
	return parseIDMap(string(b))
}

// guestRef is a running guest as the host sees it.
type guestRef struct {
	dir string // its directory under <data_dir>/guests
	guestState
	uids idMap
}

// guest finds the running guest that login lands in: it asks the guest for
// its uid map, which is the guest's own (decision 3), and finds the init with
// the same map. It waits a little for the guest's guest.json.
func (d *daemon) guest(t testing.TB, login string) guestRef {
	t.Helper()
	want, err := parseIDMap(d.mustSSH(t, login, "cat /proc/self/uid_map"))
	if err != nil {
		t.Fatalf("guest of %s: %v", login, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		states, err := guestStates(d.dataDir)
		if err != nil {
			t.Fatal(err)
		}
		for dir, st := range states {
			if m, err := processIDMap(st.InitPID); err == nil && m == want && st.running() {
				return guestRef{dir: dir, guestState: st, uids: m}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running init with uid map %v among guests %v", want, states)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
