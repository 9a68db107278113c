package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/inroot"
)

// guestClock is how the clocks of guest processes relate to the init's.
type guestClock struct {
	// bootOffset is how far the boot-time clock of guest processes is behind
	// the init's (the host's): the init's start; 0 without a time namespace.
	bootOffset time.Duration
}

// uptime is the guest's uptime at the init's boot-time clock reading now.
func (c guestClock) uptime(now time.Duration) time.Duration {
	return max(now-c.bootOffset, 0)
}

// unshareTime gives the calling thread's future children a time namespace
// of their own, owned by the guest's user namespace, whose boot-time and
// monotonic clocks start at zero when PID 1 started: uptime(1), /proc/uptime
// and ps show the guest's own. PID 1 itself stays in the host's; ps inside
// shows it started at boot. The caller is the fork thread, locked for good,
// and calls it before any process is forked from it: offsets are frozen once
// a process lives in the namespace. On a kernel without time namespaces, or
// if the offsets cannot be written, guest processes keep the host's clocks
// and a log line says so.
// Equivalent to: unshare --time --boottime -START --monotonic -START
func unshareTime(proc int, log *slog.Logger) guestClock {
	clock, err := unshareTimeAt(proc)
	if err != nil {
		log.Warn("guest init: guest processes keep the host's uptime", "err", err)
	}
	return clock
}

// unshareTimeAt does unshareTime's work and says what went wrong.
func unshareTimeAt(proc int) (guestClock, error) {
	stat, err := inroot.ReadFile(proc, "1/stat", inProc, 4096)
	if err != nil {
		return guestClock{}, fmt.Errorf("reading the init's start time: %w", err)
	}
	start, err := statStartTime(stat)
	if err != nil {
		return guestClock{}, err
	}
	if err := unix.Unshare(unix.CLONE_NEWTIME); errors.Is(err, unix.EINVAL) {
		return guestClock{}, errors.New("this kernel has no time namespaces (CONFIG_TIME_NS)")
	} else if err != nil {
		return guestClock{}, fmt.Errorf("making a time namespace: %w", err)
	}
	boot, mono, err := clocksNow()
	if err != nil {
		return guestClock{}, err
	}
	monoStart := max(mono-(boot-start), 0)
	if err := writeTimeOffsets(proc, timeOffsets(monoStart, start)); err != nil {
		return guestClock{}, err
	}
	return guestClock{bootOffset: start}, nil
}

// clocksNow reads the boot-time and monotonic clocks.
func clocksNow() (boot, mono time.Duration, err error) {
	var b, m unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &b); err != nil {
		return 0, 0, fmt.Errorf("reading the boot-time clock: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &m); err != nil {
		return 0, 0, fmt.Errorf("reading the monotonic clock: %w", err)
	}
	return time.Duration(b.Nano()), time.Duration(m.Nano()), nil
}

// writeTimeOffsets sets the offsets of the calling thread's time namespace
// for children. /proc/self names the thread group's leader; /proc/TID the
// thread itself.
// Equivalent to: echo OFFSETS > /proc/TID/timens_offsets
func writeTimeOffsets(proc int, offsets string) error {
	name := strconv.Itoa(unix.Gettid()) + "/timens_offsets"
	fd, err := inroot.Open(proc, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY, inProc)
	if err != nil {
		return fmt.Errorf("opening %s: %w", name, err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(offsets)); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
