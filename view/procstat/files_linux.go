package procstat

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// errTooBig is a file longer than its reader allows.
var errTooBig = errors.New("file longer than allowed")

// readBounded reads the file at name, at most limit bytes; a longer one is
// an error. It does not wait: a FIFO or a cgroup file that would block is
// not what these files are.
func readBounded(name string, limit int) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("reading %s: %w (%d bytes)", name, errTooBig, limit)
	}
	return b, nil
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
