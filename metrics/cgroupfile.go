package metrics

import (
	"bytes"
	"errors"
	"strconv"
)

// maxFile bounds what is read of one cgroup or sysfs file: the largest read
// here, memory.stat, is about 1.5 KiB on cgroup2 and 1 KiB on cgroup1.
const maxFile = 8 << 10

// errCut is the error of a file longer than maxFile.
var errCut = errors.New("file longer than expected")

// parseUint reads a file holding one number; "max" is 0, no limit.
func parseUint(b []byte) (uint64, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "max" {
		return 0, nil
	}
	return strconv.ParseUint(string(b), 10, 64)
}

// keyValue returns the number after key in a file of "key value" lines,
// such as memory.stat or cpu.stat; ok is false when key is not there.
func keyValue(b []byte, key string) (v uint64, ok bool) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		k, val, found := bytes.Cut(line, []byte{' '})
		if found && string(k) == key {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ioStat2 sums the rbytes= and wbytes= of every device in a cgroup2
// io.stat file ("8:0 rbytes=1 wbytes=2 rios=3 ...").
func ioStat2(b []byte) (read, written uint64) {
	for _, f := range bytes.Fields(b) {
		k, v, ok := bytes.Cut(f, []byte{'='})
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			continue
		}
		switch string(k) {
		case "rbytes":
			read += n
		case "wbytes":
			written += n
		}
	}
	return read, written
}

// ioStat1 sums the Read and Write lines of a cgroup1
// blkio.throttle.io_service_bytes file ("8:0 Read 4096").
func ioStat1(b []byte) (read, written uint64) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		f := bytes.Fields(line)
		if len(f) != 3 {
			continue
		}
		n, err := strconv.ParseUint(string(f[2]), 10, 64)
		if err != nil {
			continue
		}
		switch string(f[1]) {
		case "Read":
			read += n
		case "Write":
			written += n
		}
	}
	return read, written
}

// v1Unlimited is the least cgroup1 memory limit taken as none: the kernel
// shows "no limit" as the largest page-aligned number, about 2^63.
const v1Unlimited = 1 << 62
