package main

import (
	"os"
	"runtime/debug"
)

// daemonGCPercent is the daemon's garbage collection target when GOGC does
// not set one. Every SSH packet the daemon reads is a fresh 32 KiB
// allocation in golang.org/x/crypto/ssh, so a transfer allocates as fast as
// it moves data; with Go's default of 100 the small heap of an idle daemon
// is collected hundreds of times a second, and large spans are returned to
// the kernel and faulted back in. 400 lets the heap grow to five times what
// is live before a collection: a few more MiB for many fewer collections.
const daemonGCPercent = 400

// tuneGC sets daemonGCPercent unless the GOGC environment variable, which
// the Go runtime reads itself, says otherwise.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(daemonGCPercent)
}
