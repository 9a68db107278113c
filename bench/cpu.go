package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the times in /proc/PID/stat (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// cpuTimes is what /proc/PID/stat says of a process's CPU time.
type cpuTimes struct {
	self   time.Duration // user and system time of the process, all its threads
	reaped time.Duration // of its children it has waited for, and theirs
}

// readCPU reads pid's CPU times.
func readCPU(pid int) (cpuTimes, error) {
	f, err := statFields(pid)
	if err != nil {
		return cpuTimes{}, err
	}
	return cpuOf(f)
}

// cpuOf reads fields 14 to 17 of /proc/PID/stat (utime, stime, cutime and
// cstime) from its fields as statFields returns them.
func cpuOf(f []string) (cpuTimes, error) {
	var ticks [4]int64
	for k := range ticks {
		n, err := strconv.ParseInt(f[11+k], 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("/proc/PID/stat field %d: %w", 14+k, err)
		}
		ticks[k] = n
	}
	return cpuTimes{
		self:   time.Duration(ticks[0]+ticks[1]) * clockTick,
		reaped: time.Duration(ticks[2]+ticks[3]) * clockTick,
	}, nil
}

// children lists pid's live children, from every thread's children file.
func children(pid int) ([]int, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids, nil
}

// treeCPU is the CPU time of pid and of its live descendants.
func treeCPU(pid int) (time.Duration, error) {
	t, err := readCPU(pid)
	if err != nil {
		return 0, err
	}
	total := t.self
	kids, err := children(pid)
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		if d, err := treeCPU(k); err == nil { // a child may end meanwhile
			total += d
		}
	}
	return total, nil
}

// waitChildless waits until pid has no live child, so that what its last
// children used is in its reaped time.
func waitChildless(pid int, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		kids, err := children(pid)
		if err != nil {
			return err
		}
		if len(kids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still has children %v after %v", pid, kids, timeout)
		}
	}
}

// serverCPU measures what a server process spends on one session.
type serverCPU interface {
	// during is the server's CPU time so far, read while a session is open.
	during() (time.Duration, error)
	// after is the server's CPU time so far, read once a session has ended.
	after() (time.Duration, error)
}

// vmhostCPU is vmhostd's CPU time; after a session, with what the guest's
// init and the processes it reaped (an SFTP server) used.
type vmhostCPU struct {
	d     *daemon
	guest string
}

func (v vmhostCPU) during() (time.Duration, error) {
	t, err := readCPU(v.d.cmd.Process.Pid)
	return t.self, err
}

func (v vmhostCPU) after() (time.Duration, error) {
	own, err := v.during()
	if err != nil {
		return 0, err
	}
	states, err := v.d.guests()
	if err != nil {
		return 0, err
	}
	for _, st := range states {
		if st.Name == v.guest && st.InitPid > 0 {
			t, err := readCPU(st.InitPid)
			if err != nil {
				return 0, fmt.Errorf("guest %s: %w", v.guest, err)
			}
			return own + t.self + t.reaped, nil
		}
	}
	return own, nil // not started yet: the session to come starts it
}

// sshdCPU is the CPU time of sshd's listener and of the processes it forks
// for each connection: live ones during a session, reaped ones after.
type sshdCPU struct{ pid int }

func (s sshdCPU) during() (time.Duration, error) { return treeCPU(s.pid) }

func (s sshdCPU) after() (time.Duration, error) {
	if err := waitChildless(s.pid, 5*time.Second); err != nil {
		return 0, err
	}
	t, err := readCPU(s.pid)
	return t.self + t.reaped, err
}

// moveMeasured runs move, which moves size bytes, and returns its throughput
// and the CPU seconds per GiB that cpu, read before and after, counts.
func moveMeasured(cpu func() (time.Duration, error), size int64, move func() error) (bps, cpuPerGiB float64, err error) {
	cpu0, err := cpu()
	if err != nil {
		return 0, 0, err
	}
	d, err := timeIt(move)
	if err != nil {
		return 0, 0, err
	}
	cpu1, err := cpu()
	if err != nil {
		return 0, 0, err
	}
	return float64(size) / d.Seconds(), (cpu1 - cpu0).Seconds() / (float64(size) / (1 << 30)), nil
}
