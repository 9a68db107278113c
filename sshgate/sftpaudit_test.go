package sshgate

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// sftpPacket encodes one SFTP packet: length, type, id and body.
func sftpPacket(typ byte, id uint32, body ...any) []byte {
	var b []byte
	for _, v := range body {
		b = append(b, ssh.Marshal(v)...)
	}
	p := binary.BigEndian.AppendUint32(nil, uint32(1+4+len(b)))
	p = append(p, typ)
	p = binary.BigEndian.AppendUint32(p, id)
	return append(p, b...)
}

type sftpStr struct{ S string }
type sftpU32 struct{ N uint32 }
type sftpU64 struct{ N uint64 }

func TestSFTPAudit(t *testing.T) {
	data := strings.Repeat("x", 40000)
	// Request and reply of each step, in the order they cross.
	steps := [][2][]byte{
		{sftpPacket(fxpOpen, 1, sftpStr{"/root/up"}, sftpU32{fxfWrite | 0x08}, sftpU32{0}), sftpPacket(fxpHandle, 1, sftpStr{"h1"})},
		{sftpPacket(fxpWrite, 2, sftpStr{"h1"}, sftpU64{0}, sftpStr{data}), sftpPacket(fxpStatus, 2, sftpU32{0})},
		{sftpPacket(fxpClose, 3, sftpStr{"h1"}), sftpPacket(fxpStatus, 3, sftpU32{0})},
		{sftpPacket(fxpOpen, 4, sftpStr{"/nope"}, sftpU32{fxfRead}, sftpU32{0}), sftpPacket(fxpStatus, 4, sftpU32{2})},
		{sftpPacket(fxpOpen, 5, sftpStr{"/root/down"}, sftpU32{fxfRead}, sftpU32{0}), sftpPacket(fxpHandle, 5, sftpStr{"h2"})},
		{sftpPacket(fxpRead, 6, sftpStr{"h2"}, sftpU64{0}, sftpU32{32768}), sftpPacket(fxpData, 6, sftpStr{data[:1234]})},
		{sftpPacket(fxpRead, 7, sftpStr{"h2"}, sftpU64{1234}, sftpU32{32768}), sftpPacket(fxpStatus, 7, sftpU32{1})},
	}
	want := []string{
		`path=/root/up mode=write outcome=closed bytes_read=0 bytes_written=40000`,
		`path=/nope mode=read outcome=refused bytes_read=0 bytes_written=0 status=2`,
		`path=/root/down mode=read outcome="not closed" bytes_read=1234 bytes_written=0`,
	}
	for _, chunk := range []int{1, 7, 1 << 20} {
		var buf bytes.Buffer
		a := newSFTPAudit(slog.New(slog.NewTextHandler(&buf, nil)))
		up, down := a.Up(), a.Down()
		for _, s := range steps {
			writeChunks(up, s[0], chunk)
			writeChunks(down, s[1], chunk)
		}
		a.finish()
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != len(want) {
			t.Fatalf("chunks of %d: %d audit lines, want %d:\n%s", chunk, len(lines), len(want), buf.String())
		}
		for i, w := range want {
			if !strings.Contains(lines[i], `msg="file transfer" kind=sftp `+w) {
				t.Errorf("chunks of %d: line %d = %s\nwant it to hold %s", chunk, i, lines[i], w)
			}
		}
	}
}

// writeChunks writes p to w in pieces of at most n bytes.
func writeChunks(w interface{ Write([]byte) (int, error) }, p []byte, n int) {
	for len(p) > 0 {
		k := min(n, len(p))
		w.Write(p[:k])
		p = p[k:]
	}
}

// A stream of garbage must not hang or panic the audit.
func TestSFTPAuditGarbage(t *testing.T) {
	a := newSFTPAudit(slog.New(slog.DiscardHandler))
	for _, p := range [][]byte{
		{0, 0, 0, 0, 3, 0, 0, 0, 0},
		{0, 0, 0, 1, fxpOpen},
		{0xff, 0xff, 0xff, 0xff, fxpWrite, 1, 2, 3},
		bytes.Repeat([]byte{0, 0, 0, 9, fxpClose}, 100),
	} {
		writeChunks(a.Up(), p, 3)
		writeChunks(a.Down(), p, 2)
	}
	a.finish() // no hang, no panic
}

func TestSFTPAuditBounded(t *testing.T) {
	a := newSFTPAudit(slog.New(slog.DiscardHandler))
	long := strings.Repeat("h", 8000)
	a.request(fxpOpen, 1, append(sshString("/root/f"), 0, 0, 0, fxfRead), 0)
	a.reply(fxpHandle, 1, sshString(long), 0)
	if len(a.files) != 0 {
		t.Errorf("a handle of %d bytes is followed; want handles over %d bytes left alone", len(long), sftpMaxHandle)
	}
	a.request(fxpOpen, 2, append(sshString("/root/g"), 0, 0, 0, fxfRead), 0)
	a.reply(fxpHandle, 2, sshString("h1"), 0)
	for id := uint32(3); id < 100000; id++ {
		a.request(fxpClose, id, sshString("h1"), 0) // never answered
	}
	if len(a.closing) > sftpMaxOpen {
		t.Errorf("%d unanswered closes kept; want at most %d", len(a.closing), sftpMaxOpen)
	}
}

// TestSFTPAuditDataClaims: a DATA reply or a WRITE request that claims
// more data than its packet holds counts what the packet holds.
func TestSFTPAuditDataClaims(t *testing.T) {
	var read, written int64
	a := newSFTPAudit(slog.New(slog.DiscardHandler))
	a.count = func(r, w int64) { read, written = read+r, written+w }
	packet := func(typ byte, id uint32, body []byte) []byte {
		p := binary.BigEndian.AppendUint32(nil, uint32(5+len(body)))
		p = append(p, typ)
		p = binary.BigEndian.AppendUint32(p, id)
		return append(p, body...)
	}
	up, down := a.Up(), a.Down()
	up.Write(packet(fxpOpen, 1, append(sshString("/root/f"), 0, 0, 0, fxfRead|fxfWrite)))
	down.Write(packet(fxpHandle, 1, sshString("h1")))
	up.Write(packet(fxpRead, 2, append(sshString("h1"), make([]byte, 12)...)))
	lie := binary.BigEndian.AppendUint32(nil, 1<<31) // claims 2 GiB
	down.Write(packet(fxpData, 2, append(lie, "only ten b"...)))
	write := append(sshString("h1"), make([]byte, 8)...)
	write = append(append(write, binary.BigEndian.AppendUint32(nil, 1<<31)...), "seven b"...)
	up.Write(packet(fxpWrite, 3, write))
	up.Write(packet(fxpClose, 4, sshString("h1")))
	down.Write(packet(fxpStatus, 4, make([]byte, 4)))
	if read != 10 || written != 7 {
		t.Errorf("counted %d read and %d written; want 10 and 7, what the packets hold", read, written)
	}
}

// sshString encodes an SFTP string: its length, then its bytes.
func sshString(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}
