package guestinit

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// handlePanic, deferred first thing by every goroutine of the init that
// serves a request (and by the reaper and the fork thread's jobs), turns a
// panic into a log line with its stack and, when fail is set, into an error
// for that request: one bad request never ends the guest.
func handlePanic(log *slog.Logger, what string, fail func(error)) {
	r := recover()
	if r == nil {
		return
	}
	log.Error("guest init: panic while "+what, "panic", r, "stack", string(debug.Stack()))
	if fail != nil {
		fail(fmt.Errorf("the guest's init failed while %s: %v", what, r))
	}
}
