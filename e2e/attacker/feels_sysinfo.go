package main

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("sysinfo", sysinfoFacts)
	register("sysinfo-flood", sysinfoFlood)
}

// sysinfoFacts reports what sysinfo(2) says, and what it does with
// addresses it cannot write: the init must answer as the kernel would.
func sysinfoFacts([]string) error {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return err
	}
	unit := uint64(max(si.Unit, 1))
	report("uptime", si.Uptime)
	report("totalram", uint64(si.Totalram)*unit)
	report("freeram", uint64(si.Freeram)*unit)
	report("totalswap", uint64(si.Totalswap)*unit)
	report("procs", si.Procs)
	_, _, errno := unix.Syscall(unix.SYS_SYSINFO, 0, 0, 0)
	report("null", errnoName(errno))
	_, _, errno = unix.Syscall(unix.SYS_SYSINFO, 0x10, 0, 0)
	report("unmapped", errnoName(errno))
	return nil
}

// sysinfoFlood calls sysinfo from as many threads as the guest has CPUs
// for the seconds given, and reports how many calls it made.
func sysinfoFlood(args []string) error {
	secs := 5
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return fmt.Errorf("seconds: %w", err)
		}
		secs = n
	}
	var calls atomic.Int64
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	for range runtime.NumCPU() + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var si unix.Sysinfo_t
			for time.Now().Before(deadline) {
				unix.Sysinfo(&si)
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	report("calls", calls.Load())
	report("per_second", calls.Load()/int64(secs))
	return nil
}

// errnoName names an errno; "ok" for none.
func errnoName(errno unix.Errno) string {
	if errno == 0 {
		return "ok"
	}
	return unix.ErrnoName(errno)
}
