package procstat

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// errTooBig is a file longer than its reader allows.
var errTooBig = errors.New("file longer than allowed")

// readBounded reads the file at name, at most limit bytes; a longer one is
// an error. It does not wait: a FIFO or a cgroup file that would block is
// not what these files are. It reads with plain system calls, past the
// runtime's poller, which would cost more than the read.
func readBounded(name string, limit int) ([]byte, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer unix.Close(fd)
	b := make([]byte, 0, min(limit+1, 4096))
	for len(b) <= limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):min(cap(b), limit+1)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
	return nil, fmt.Errorf("reading %s: %w (%d bytes)", name, errTooBig, limit)
}

// taskFile is /proc/TID/NAME.
func taskFile(tid int, name string) string {
	return "/proc/" + strconv.Itoa(tid) + "/" + name
}

// taskState reads the state letter of the thread tid; 0 when it is gone.
func taskState(tid int) byte {
	fd, err := unix.Open(taskFile(tid, "stat"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	var buf [256]byte // pid, a name of at most 16 bytes, the state
	n, err := unix.Read(fd, buf[:])
	if err != nil || n <= 0 {
		return 0
	}
	return TaskState(buf[:n])
}
