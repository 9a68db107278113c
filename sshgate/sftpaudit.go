package sshgate

import (
	"encoding/binary"
	"io"
	"log/slog"
	"sync"
	"time"
)

// SFTP packet types the audit follows (draft-ietf-secsh-filexfer-02, the
// version OpenSSH speaks).
const (
	fxpOpen   = 3
	fxpClose  = 4
	fxpRead   = 5
	fxpWrite  = 6
	fxpStatus = 101
	fxpHandle = 102
	fxpData   = 103
)

// SFTP open flags.
const (
	fxfRead  = 0x01
	fxfWrite = 0x02
)

// Bounds of what the audit reads of one packet: the start of a data packet
// (type, id, handle, offset, length) or the whole of a small one (an open's
// path).
const (
	sftpDataHeader = 512
	sftpHeaderMax  = 8 << 10
	// sftpMaxOpen bounds the files followed at once in one session, and
	// each kind of request waiting for its answer.
	sftpMaxOpen = 1024
	// sftpMaxHandle bounds a handle the audit keeps: the server (in the
	// guest, and the guest's to control) makes them; longer ones are not
	// followed. OpenSSH's are 4 bytes.
	sftpMaxHandle = 256
	// sftpMaxPath bounds what the audit keeps of an opened path.
	sftpMaxPath = 1024
)

// sftpAudit follows an SFTP session from the side, without changing it, and
// logs one audit line per file opened and closed: its path, how it was
// opened, the bytes read and written and the outcome. It sees a copy of each
// direction's bytes through the Writers Up and Down.
type sftpAudit struct {
	audit *slog.Logger
	count func(read, written int64) // counts each file's bytes; nil counts none

	mu      sync.Mutex
	opening map[uint32]sftpFile  // open requests by id, until their handle comes
	files   map[string]*sftpFile // open files by handle
	reads   map[uint32]string    // read requests by id: their handle
	closing map[uint32]string    // close requests by id: their handle
}

// sftpFile is one file of an SFTP session.
type sftpFile struct {
	path    string
	flags   uint32
	opened  time.Time
	read    int64
	written int64
}

// newSFTPAudit returns an audit that logs to audit.
func newSFTPAudit(audit *slog.Logger) *sftpAudit {
	return &sftpAudit{audit: audit, opening: map[uint32]sftpFile{}, files: map[string]*sftpFile{},
		reads: map[uint32]string{}, closing: map[uint32]string{}}
}

// Up is the client-to-server direction.
func (a *sftpAudit) Up() *sftpStream { return &sftpStream{handle: a.request} }

// Down is the server-to-client direction.
func (a *sftpAudit) Down() *sftpStream { return &sftpStream{handle: a.reply} }

// request notes a packet from the client.
func (a *sftpAudit) request(typ byte, id uint32, b []byte, size uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch typ {
	case fxpOpen:
		path, rest, ok := sftpString(b)
		if ok && len(rest) >= 4 && len(a.opening) < sftpMaxOpen {
			a.opening[id] = sftpFile{path: path[:min(len(path), sftpMaxPath)], flags: binary.BigEndian.Uint32(rest)}
		}
	case fxpRead:
		if h, _, ok := sftpString(b); ok && a.files[h] != nil && len(a.reads) < sftpMaxOpen {
			a.reads[id] = h
		}
	case fxpWrite:
		h, rest, ok := sftpString(b)
		if f := a.files[h]; ok && f != nil && len(rest) >= 12 {
			f.written += dataLen(binary.BigEndian.Uint32(rest[8:]), size, uint64(4+len(h)+12))
		}
	case fxpClose:
		if h, _, ok := sftpString(b); ok && a.files[h] != nil && len(a.closing) < sftpMaxOpen {
			a.closing[id] = h
		}
	}
}

// reply notes a packet from the server.
func (a *sftpAudit) reply(typ byte, id uint32, b []byte, size uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch typ {
	case fxpHandle:
		f, ok := a.opening[id]
		h, _, okH := sftpString(b)
		if ok && okH && len(h) <= sftpMaxHandle && len(a.files) < sftpMaxOpen {
			f.opened = time.Now()
			a.files[h] = &f
		}
		delete(a.opening, id)
	case fxpData:
		if f := a.files[a.reads[id]]; f != nil && len(b) >= 4 {
			f.read += dataLen(binary.BigEndian.Uint32(b), size, 4)
		}
		delete(a.reads, id)
	case fxpStatus:
		a.status(id, b)
	}
}

// dataLen is the length of a data packet's data: what it claims, but at
// most what the packet holds past the before bytes that precede the data
// (size counts the packet's bytes after its id). A guest's SFTP server
// claiming 4 GiB in a short packet is counted for what it sent.
func dataLen(claim uint32, size, before uint64) int64 {
	if size < before {
		return 0
	}
	return int64(min(uint64(claim), size-before))
}

// status notes a status reply: the end of a close, a failed open, or the end
// of a read (EOF). a.mu must be held.
func (a *sftpAudit) status(id uint32, b []byte) {
	var code uint32 = 4 // SSH_FX_FAILURE when the packet is cut short
	if len(b) >= 4 {
		code = binary.BigEndian.Uint32(b)
	}
	delete(a.reads, id)
	if f, ok := a.opening[id]; ok {
		delete(a.opening, id)
		a.log(&f, "refused", code)
		return
	}
	if h, ok := a.closing[id]; ok {
		delete(a.closing, id)
		a.log(a.files[h], "closed", code)
		delete(a.files, h)
	}
}

// finish logs the files still open when the session ends.
func (a *sftpAudit) finish() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, f := range a.files {
		a.log(f, "not closed", 0)
		delete(a.files, h)
	}
}

// log writes the audit line of one file. a.mu must be held.
func (a *sftpAudit) log(f *sftpFile, outcome string, code uint32) {
	attrs := []any{"kind", "sftp", "path", f.path, "mode", openMode(f.flags), "outcome", outcome,
		"bytes_read", f.read, "bytes_written", f.written}
	if code != 0 {
		attrs = append(attrs, "status", code)
	}
	if !f.opened.IsZero() {
		attrs = append(attrs, "duration", time.Since(f.opened).Round(time.Millisecond))
	}
	a.audit.Info("file transfer", attrs...)
	if a.count != nil {
		a.count(f.read, f.written)
	}
}

// openMode names the access an SFTP open asked for.
func openMode(flags uint32) string {
	switch flags & (fxfRead | fxfWrite) {
	case fxfRead:
		return "read"
	case fxfWrite:
		return "write"
	case fxfRead | fxfWrite:
		return "read-write"
	}
	return "none"
}

// sftpString splits an SSH string off the start of b.
func sftpString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

// sftpStream cuts one direction of an SFTP session into packets as its bytes
// go by, keeping only the start of each, and hands each packet's type, id,
// kept bytes and size (its bytes after the id) to handle.
type sftpStream struct {
	handle func(typ byte, id uint32, b []byte, size uint64)
	head   []byte // the packet's length, type, id and kept bytes so far
	keep   int    // bytes of the packet's body to keep; 0 until its type is in
	rest   uint64 // bytes of the packet after those kept
	skip   uint64 // bytes of the packet still to pass over
}

// Write takes the next bytes of the stream. It never fails: an audit must
// not break the session.
func (s *sftpStream) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if s.skip > 0 {
			k := min(uint64(len(p)), s.skip)
			s.skip -= k
			p = p[k:]
			continue
		}
		p = s.fill(p)
	}
	return n, nil
}

// fill adds bytes of p to the packet's head and returns the rest of p.
func (s *sftpStream) fill(p []byte) []byte {
	want := 5 // length and type
	if s.keep > 0 {
		want = 4 + s.keep
	}
	k := min(len(p), want-len(s.head))
	s.head = append(s.head, p[:k]...)
	p = p[k:]
	if len(s.head) == 5 && s.keep == 0 {
		s.start()
	}
	if s.keep > 0 && len(s.head) == 4+s.keep {
		s.done()
	}
	return p
}

// start sets how much of the packet to keep once its length and type are
// in: its whole body up to a bound, at least its type.
func (s *sftpStream) start() {
	length := max(int(min(binary.BigEndian.Uint32(s.head), 1<<30)), 1)
	limit := sftpHeaderMax
	if t := s.head[4]; t == fxpWrite || t == fxpData || t == fxpRead {
		limit = sftpDataHeader
	}
	s.keep = min(length, limit)
	s.rest = uint64(length - s.keep)
}

// done hands over a packet whose kept bytes are all in, and passes over the
// rest of it.
func (s *sftpStream) done() {
	if len(s.head) >= 9 {
		s.handle(s.head[4], binary.BigEndian.Uint32(s.head[5:9]), s.head[9:], uint64(len(s.head)-9)+s.rest)
	}
	s.head = s.head[:0]
	s.keep, s.skip, s.rest = 0, s.rest, 0
}

// tap returns a process's input and output with the audit watching both.
func (a *sftpAudit) tap(stdin io.WriteCloser, stdout io.Reader) (io.WriteCloser, io.Reader) {
	return tapWriter{stdin, a.Up()}, io.TeeReader(stdout, a.Down())
}

// tapWriter is a process's input whose bytes a tap sees first, so that the
// audit knows a request before the process can answer it.
type tapWriter struct {
	io.WriteCloser
	tap io.Writer
}

// Write implements io.Writer.
func (w tapWriter) Write(p []byte) (int, error) {
	w.tap.Write(p)
	return w.WriteCloser.Write(p)
}
