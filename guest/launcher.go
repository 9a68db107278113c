package guest

import "time"

// launcher starts guests' inits and finds the running ones: the seam between
// the Manager's bookkeeping (guests, addresses, state on disk) and processes,
// as runc's parentProcess is between a container's bookkeeping and its init.
// The daemon's is nsLauncher (namespaces, pidfds); the Manager's tests use a
// fake, so its bookkeeping is tested without root.
type launcher interface {
	// start starts the init of a guest and waits until it is ready.
	start(spec startSpec) (initHandle, error)
	// reattach finds the running init the daemon recorded as pid and start,
	// or fails when that very process does not run.
	reattach(pid int, start uint64) (initHandle, error)
	// find returns the init of the guest st among pids, the processes of its
	// cgroup, or nil.
	find(st *State, pids []int) initHandle
}

// initHandle is a running init as the Manager knows it: never by what the
// guest says.
type initHandle interface {
	// pid and startTime name the process, as guest.json records it.
	pid() int
	startTime() uint64
	// alive reports whether the init still runs.
	alive() bool
	// exited is closed once the init has exited.
	exited() <-chan struct{}
	// stop asks the init to end (SIGTERM), kills it after grace, and waits.
	stop(grace time.Duration) error
	// kill kills the init at once and waits.
	kill() error
	// nsPath is the path of one of the init's namespaces, such as "net".
	nsPath(ns string) string
	// release lets go of the handle once the init has ended.
	release()
}

// isRunning reports whether h is a running init.
func isRunning(h initHandle) bool {
	return h != nil && h.alive()
}

// exitedOf is closed once the init h has exited; nil (never closed) for no
// init.
func exitedOf(h initHandle) <-chan struct{} {
	if h == nil {
		return nil
	}
	return h.exited()
}

// release lets go of h, if any.
func release(h initHandle) {
	if h != nil {
		h.release()
	}
}
