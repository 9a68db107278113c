package metrics

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fileReader reads small kernel files into one buffer, reused from file to
// file, so that reading a guest allocates nothing but the paths.
type fileReader struct {
	buf [maxFile]byte
}

// read returns the content of path, valid until the next read. A file
// longer than maxFile is an error, never a partial read taken as whole.
// Equivalent to: `head -c 8192 PATH`.
func (r *fileReader) read(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n := 0
	for n < len(r.buf) {
		m, err := unix.Read(fd, r.buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return r.buf[:n], nil
		}
		n += m
	}
	return nil, errCut
}

// number reads a file holding one number ("max" is 0).
func (r *fileReader) number(dir, name string) (uint64, error) {
	b, err := r.read(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	return parseUint(b)
}

// field reads the number after key in the "key value" file dir/name.
func (r *fileReader) field(dir, name, key string) (uint64, bool) {
	b, err := r.read(filepath.Join(dir, name))
	if err != nil {
		return 0, false
	}
	return keyValue(b, key)
}
