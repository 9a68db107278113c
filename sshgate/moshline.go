package sshgate

import (
	"bytes"
	"io"
	"path"
	"strconv"
	"strings"
)

// How much of a mosh-server's output is looked at for its MOSH CONNECT
// line; past that, or past the line, the output passes unchanged.
const (
	moshScanBytes = 4 << 10
	moshScanLines = 32
	moshLineMax   = 256 // a longer line is passed on as it comes, unread
	moshKeyLen    = 22  // mosh's key: 16 bytes in base64, unpadded
	moshConnect   = "MOSH CONNECT "
)

// isMoshServer reports whether the shell command of an exec session runs
// mosh-server: its first word is mosh-server or a path ending in
// /mosh-server, as the mosh client sends it (`mosh-server new -s ...`, or
// the --server it is given).
func isMoshServer(command string) bool {
	f := strings.Fields(command)
	if len(f) == 0 {
		return false
	}
	w := strings.Trim(f[0], `'"`)
	return w == "mosh-server" || strings.HasSuffix(w, "/mosh-server") && path.Base(w) == "mosh-server"
}

// parseMoshConnect reads a line mosh-server prints, without its "\n":
// "MOSH CONNECT PORT KEY", then at most spaces, tabs and "\r" (a terminal
// makes mosh-server's "\r\n" "\r\r\n"; the mosh client allows any
// white space there). It returns the port and key, and false for anything
// else: a port that is not 1 to 65535 written in decimal, a key that is not
// 22 base64 characters, anything more.
func parseMoshConnect(line []byte) (port uint16, key string, ok bool) {
	s, found := strings.CutPrefix(strings.TrimRight(string(line), moshLineEnd), moshConnect)
	if !found {
		return 0, "", false
	}
	p, k, found := strings.Cut(s, " ")
	if !found || len(p) == 0 || len(p) > 5 || strings.Trim(p, "0123456789") != "" || !isMoshKey(k) {
		return 0, "", false
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, "", false
	}
	return uint16(n), k, true
}

// moshLineEnd is what may follow the key on a MOSH CONNECT line.
const moshLineEnd = " \t\r"

// isMoshKey reports whether k is a mosh session key: 22 characters of
// base64 without padding.
func isMoshKey(k string) bool {
	if len(k) != moshKeyLen {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// moshFilter is the output of a mosh-server session on its way to the
// client. It looks at the first lines (moshScanLines, moshScanBytes) for
// the MOSH CONNECT line, asks publish for a host port for the guest's port
// it names, and gives the client the line with the host port instead; a
// line publish refuses, every other line and everything after the first
// MOSH CONNECT line or the bounds passes unchanged. A line is held back
// only until its end, at most moshLineMax bytes.
type moshFilter struct {
	r       io.Reader
	publish func(guestPort uint16) (hostPort uint16, ok bool)

	buf      [4096]byte
	out      []byte // ready for the client
	line     []byte // the current line, held back
	skipping bool   // in a line too long to be the one, passed on as it comes
	scanned  int    // bytes looked at
	lines    int    // lines looked at
	done     bool   // passing everything through
	err      error  // r's error, once out is drained
}

// newMoshFilter filters r for the session whose guest's ports publish
// publishes.
func newMoshFilter(r io.Reader, publish func(uint16) (uint16, bool)) *moshFilter {
	return &moshFilter{r: r, publish: publish}
}

// Read implements io.Reader.
func (f *moshFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		switch {
		case f.err != nil:
			return 0, f.err
		case f.done:
			return f.r.Read(p)
		}
		n, err := f.r.Read(f.buf[:])
		f.feed(f.buf[:n])
		if err != nil {
			f.stop()
			f.err = err
		}
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// feed looks at b, the next bytes of the output.
func (f *moshFilter) feed(b []byte) {
	for len(b) > 0 && !f.done {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i+1]
		}
		b = b[len(chunk):]
		f.scanned += len(chunk)
		f.take(chunk, i >= 0)
		if f.scanned >= moshScanBytes || f.lines >= moshScanLines {
			f.stop()
		}
	}
	f.out = append(f.out, b...)
}

// take adds chunk, a line's bytes, ending it when ended.
func (f *moshFilter) take(chunk []byte, ended bool) {
	if f.skipping {
		f.out = append(f.out, chunk...)
	} else {
		f.line = append(f.line, chunk...)
		if len(f.line) > moshLineMax {
			f.out, f.line, f.skipping = append(f.out, f.line...), nil, true
		}
	}
	if !ended {
		return
	}
	f.lines++
	if !f.skipping {
		f.out = append(f.out, f.rewrite(f.line)...)
	}
	f.line, f.skipping = nil, false
}

// rewrite returns line, ending in "\n", as the client gets it: with the
// host port when it is the MOSH CONNECT line and publish gave one. The
// first MOSH CONNECT line ends the scan, as the client reads no other.
func (f *moshFilter) rewrite(line []byte) []byte {
	body := line[:len(line)-1]
	port, key, ok := parseMoshConnect(body)
	if !ok {
		return line
	}
	f.done = true
	host, ok := f.publish(port)
	if !ok {
		return line
	}
	end := body[len(bytes.TrimRight(body, moshLineEnd)):]
	return []byte(moshConnect + strconv.Itoa(int(host)) + " " + key + string(end) + "\n")
}

// stop ends the scan, passing on what is held back.
func (f *moshFilter) stop() {
	f.out = append(f.out, f.line...)
	f.line, f.done = nil, true
}
