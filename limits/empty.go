package limits

import (
	"errors"
	"fmt"
	"time"

	"vmhost/poll"
)

// emptyPoll is the most time between two looks at a group's processes
// where the kernel gives no event for its emptiness (cgroup1).
const emptyPoll = 20 * time.Millisecond

// pollEmpty waits up to timeout for the group at path of h to have no
// processes, looking at them again and again: cgroup1 has no event for it.
func pollEmpty(h hierarchy, path string, timeout time.Duration) error {
	var pids []int
	err := poll.Until(timeout, emptyPoll, func() (bool, error) {
		var err error
		pids, err = h.procs(path)
		return len(pids) == 0, err
	})
	if errors.Is(err, poll.ErrTimeout) {
		return stillHas(pids)
	}
	return err
}

// stillHas is the error about a group that kept the processes pids.
func stillHas(pids []int) error {
	return fmt.Errorf("still has processes %v", pids)
}
