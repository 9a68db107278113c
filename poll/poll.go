// Package poll waits for what the kernel gives no event for, by asking
// again and again until a deadline: the one helper that every such wait in
// the daemon shares. Where the kernel offers an event (a pidfd for a
// process's exit, a netlink subscription for a link's state, cgroup.events
// for an empty cgroup2 group), wait on that instead.
package poll

import (
	"errors"
	"time"
)

// ErrTimeout is returned by Until when its deadline passes first.
var ErrTimeout = errors.New("timed out")

// firstWait is the wait after the first check; each wait doubles it up to
// the caller's most.
const firstWait = time.Millisecond

// Until calls check at once, and then again after waits that double from a
// millisecond up to every, until check reports done or fails, or timeout has
// passed since the first call. It returns nil when done, check's error, or
// ErrTimeout; check is called once more at the deadline, so a wait that
// ends just in time is not missed.
func Until(timeout, every time.Duration, check func() (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	wait := min(firstWait, every)
	for {
		done, err := check()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return ErrTimeout
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, every)
	}
}
