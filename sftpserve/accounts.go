package sftpserve

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// maxAccountsFile bounds how much of /etc/passwd or /etc/group is read.
const maxAccountsFile = 1 << 20

// account is one line of /etc/passwd or /etc/group: name, id and, for a
// user, home.
type account struct {
	name string
	id   uint32
	home string
}

// readAccounts reads the passwd- or group-format file path: name:x:id:...,
// a home in the sixth field of passwd lines. Lines that do not parse are
// skipped.
func readAccounts(path string) ([]account, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // a FIFO must not block
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxAccountsFile))
	if err != nil {
		return nil, err
	}
	var out []account
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) < 3 || fields[0] == "" {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		a := account{name: fields[0], id: uint32(id)}
		if len(fields) >= 6 {
			a.home = fields[5]
		}
		out = append(out, a)
	}
	return out, nil
}
