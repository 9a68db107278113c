package sshgate

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// moshTableLines bounds the lines of a guest's /proc/net/udp{,6} read in
// one look: past it, the ports not seen yet count as bound.
const moshTableLines = 1 << 16

// boundUDPPorts reads a /proc/net/udp or /proc/net/udp6 table and adds to
// bound each port of want that a socket is bound to, on any address. The
// table is the kernel's text; a line it cannot read is skipped. It reports
// false when the table was not read to its end (an error, or more than
// moshTableLines lines): the caller then cannot tell a port is unbound.
func boundUDPPorts(r io.Reader, want, bound map[uint16]bool) bool {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	for n := 0; sc.Scan(); n++ {
		if n > moshTableLines {
			return false
		}
		if port, ok := localPort(sc.Text()); ok && want[port] {
			bound[port] = true
		}
	}
	return sc.Err() == nil
}

// localPort returns the local port of a line of /proc/net/udp{,6}: the
// hexadecimal after the last ':' of its second field, local_address.
func localPort(line string) (uint16, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, false
	}
	i := strings.LastIndexByte(f[1], ':')
	if i < 0 || len(f[1])-i-1 != 4 {
		return 0, false
	}
	p, err := strconv.ParseUint(f[1][i+1:], 16, 16)
	return uint16(p), err == nil
}
