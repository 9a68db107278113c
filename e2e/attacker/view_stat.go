package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("stat-flood", statFlood)
}

// statFlood reads /proc/stat (the view server's) from many threads for a
// while, the way a hostile guest would: whole reads, one byte at a time,
// at odd offsets, and with as many files held open as the server allows.
// Args: seconds and threads. It reports reads made, failed reads, and how
// many files it could hold open at once.
func statFlood(args []string) error {
	secs, threads := 5, 32
	if len(args) > 1 {
		var err1, err2 error
		secs, err1 = strconv.Atoi(args[0])
		threads, err2 = strconv.Atoi(args[1])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("want SECONDS THREADS, got %q", args)
		}
	}
	report("held_open", holdOpen("/proc/stat", 2000))
	var reads, fails atomic.Int64
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := oddRead("/proc/stat", i); err != nil {
					fails.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	report("reads", reads.Load())
	report("fails", fails.Load())
	return nil
}

// holdOpen opens path up to n times at once and reports how many opens
// succeeded before the first failure, then closes them.
func holdOpen(path string, n int) int {
	unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: uint64(n) + 64, Max: uint64(n) + 64})
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for len(fds) < n {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fds = append(fds, fd)
	}
	return len(fds)
}

// oddRead reads path one of three ways, by k: whole, one byte at a time
// (the first 64), or from an odd offset past its end.
func oddRead(path string, k int) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf := make([]byte, 65536)
	switch k % 3 {
	case 0:
		_, err = unix.Read(fd, buf)
	case 1:
		for i := 0; i < 64 && err == nil; i++ {
			_, err = unix.Read(fd, buf[:1])
		}
	default:
		if _, err = unix.Pread(fd, buf[:7], 1<<40+3); err == nil {
			_, err = unix.Pread(fd, buf[:5], 13)
		}
	}
	return err
}
