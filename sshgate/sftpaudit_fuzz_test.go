package sshgate

import (
	"bytes"
	"io"
	"log/slog"
	"slices"
	"testing"
)

// sftpCall is one packet an sftpStream handed over.
type sftpCall struct {
	typ byte
	id  uint32
	b   []byte
}

// sftpCalls cuts data into packets through an sftpStream, written in chunks
// of chunk bytes, and returns what it handed over.
func sftpCalls(t *testing.T, data []byte, chunk int) []sftpCall {
	var calls []sftpCall
	s := &sftpStream{handle: func(typ byte, id uint32, b []byte, _ uint64) {
		calls = append(calls, sftpCall{typ, id, bytes.Clone(b)})
	}}
	for p := data; len(p) > 0; {
		k := min(chunk, len(p))
		if n, err := s.Write(p[:k]); n != k || err != nil {
			t.Fatalf("Write of %d bytes = %d, %v; want all and no error", k, n, err)
		}
		p = p[k:]
	}
	return calls
}

// FuzzSFTPStream checks that the SFTP audit's packet cutter hands over the
// same packets however the stream is cut into writes, and never more of a
// packet than it keeps.
func FuzzSFTPStream(f *testing.F) {
	f.Add(sftpPacket(fxpOpen, 1, sftpStr{"/root/up"}, sftpU32{fxfWrite}, sftpU32{0}), uint8(1))
	f.Add(append(sftpPacket(fxpWrite, 2, sftpStr{"h1"}, sftpU64{0}, sftpStr{string(make([]byte, 3000))}),
		sftpPacket(fxpClose, 3, sftpStr{"h1"})...), uint8(7))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1}, uint8(2))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, fxpData, 0, 0, 0, 9}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		whole := sftpCalls(t, data, len(data)+1)
		cut := sftpCalls(t, data, int(chunk)+1)
		if !slices.EqualFunc(whole, cut, func(a, b sftpCall) bool {
			return a.typ == b.typ && a.id == b.id && bytes.Equal(a.b, b.b)
		}) {
			t.Fatalf("packets of %x in one write = %v, in writes of %d = %v; want the same", data, whole, int(chunk)+1, cut)
		}
		for _, c := range whole {
			if len(c.b) > sftpHeaderMax {
				t.Errorf("a packet of type %d handed over with %d bytes, more than the %d kept", c.typ, len(c.b), sftpHeaderMax)
			}
		}
	})
}

// FuzzSFTPAudit feeds arbitrary requests and replies to an audit and checks
// that it never panics and follows at most sftpMaxOpen of each thing.
func FuzzSFTPAudit(f *testing.F) {
	f.Add(sftpPacket(fxpOpen, 1, sftpStr{"/root/up"}, sftpU32{fxfWrite}, sftpU32{0}), sftpPacket(fxpHandle, 1, sftpStr{"h1"}))
	f.Add(slices.Concat(
		sftpPacket(fxpOpen, 5, sftpStr{"/root/down"}, sftpU32{fxfRead}, sftpU32{0}),
		sftpPacket(fxpRead, 6, sftpStr{"h2"}, sftpU64{0}, sftpU32{32768}),
		sftpPacket(fxpClose, 7, sftpStr{"h2"})),
		slices.Concat(sftpPacket(fxpHandle, 5, sftpStr{"h2"}), sftpPacket(fxpData, 6, sftpStr{"abc"}), sftpPacket(fxpStatus, 7, sftpU32{0})))
	f.Add([]byte{}, sftpPacket(fxpStatus, 9, sftpU32{4}))
	f.Fuzz(func(t *testing.T, up, down []byte) {
		a := newSFTPAudit(slog.New(slog.NewTextHandler(io.Discard, nil)))
		u, d := a.Up(), a.Down()
		for len(up) > 0 || len(down) > 0 { // interleaved, as the two directions go
			k, j := min(len(up), 100), min(len(down), 100)
			u.Write(up[:k])
			d.Write(down[:j])
			up, down = up[k:], down[j:]
		}
		a.mu.Lock()
		sizes := []int{len(a.opening), len(a.files), len(a.reads), len(a.closing)}
		a.mu.Unlock()
		for _, n := range sizes {
			if n > sftpMaxOpen {
				t.Errorf("the audit follows %v open requests, files, reads and closes; want at most %d of each", sizes, sftpMaxOpen)
			}
		}
		a.finish()
		if len(a.files) != 0 {
			t.Errorf("after finish, the audit still follows %d files", len(a.files))
		}
	})
}
