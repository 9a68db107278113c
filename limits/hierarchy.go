package limits

import (
	"os/exec"
	"time"
)

// hierarchy is one cgroup version's way of doing what a Group does, for the
// group at path (such as /vmhost-br0/alice) below the hierarchy's root.
type hierarchy interface {
	// create makes the group's directories and turns on the controllers it
	// needs.
	create(path string) error
	// apply writes the limits of s to the group.
	apply(path string, s Spec) error
	// start starts cmd inside the group.
	start(path string, cmd *exec.Cmd) error
	// stats reads what the group uses.
	stats(path string) (Stats, error)
	// procs returns the processes in the group, or none when it is gone.
	procs(path string) ([]int, error)
	// waitEmpty waits up to timeout for the group to have no processes; a
	// group that is gone has none.
	waitEmpty(path string, timeout time.Duration) error
	// remove removes the group's directories; a group that is gone is no
	// error.
	remove(path string) error
	// dirs returns the group's directories, by controller ("" on cgroup2).
	dirs(path string) map[string]string
	// pin restricts the group to the CPUs of list ("0-1,3"); "" lifts it.
	pin(path, list string) error
	// pinned returns the group's own CPU list, "" when it has its parent's.
	pinned(path string) (string, error)
	// cpus returns the CPUs the group at path may use (its parent's, when
	// it does not exist yet).
	cpus(path string) (string, error)
}
