package sftpserve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// SFTP packet types (draft-ietf-secsh-filexfer-02, version 3).
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpOpen          = 3
	fxpClose         = 4
	fxpSymlink       = 20
	fxpStatus        = 101
	fxpHandle        = 102
	fxpName          = 104
	fxpExtended      = 200
	fxpExtendedReply = 201
)

// SFTP status codes.
const (
	fxOK               = 0
	fxEOF              = 1
	fxNoSuchFile       = 2
	fxPermissionDenied = 3
	fxFailure          = 4
	fxBadMessage       = 5
	fxOpUnsupported    = 8
)

// maxPacket bounds a packet's length, as pkg/sftp's server does.
const maxPacket = 256 * 1024

// errBadPacket is a packet too short for what its type says.
var errBadPacket = errors.New("malformed SFTP packet")

// readRaw reads one packet whole, its length included, into buf (grown as
// needed) and returns it. A relay reuses its buffer for every packet: the
// packet's bytes are written on before the next is read.
func readRaw(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxPacket {
		return nil, fmt.Errorf("SFTP packet of %d bytes: %w", n, errBadPacket)
	}
	if cap(buf) < int(n)+4 {
		buf = make([]byte, int(n)+4, max(int(n)+4, 64<<10))
	}
	buf = buf[:int(n)+4]
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, err
	}
	return buf, nil
}

// packet builds a packet.
type packet struct{ b []byte }

// newPacket starts a packet of type t.
func newPacket(t byte) *packet { return &packet{b: []byte{0, 0, 0, 0, t}} }

func (p *packet) u32(v uint32) *packet { p.b = binary.BigEndian.AppendUint32(p.b, v); return p }
func (p *packet) u64(v uint64) *packet { p.b = binary.BigEndian.AppendUint64(p.b, v); return p }
func (p *packet) str(s string) *packet { p.u32(uint32(len(s))); p.b = append(p.b, s...); return p }

// bytes returns the packet with its length.
func (p *packet) bytes() []byte {
	binary.BigEndian.PutUint32(p.b, uint32(len(p.b)-4))
	return p.b
}

// reader takes fields off a packet's body.
type reader struct {
	b   []byte
	err error
}

func (r *reader) u32() uint32 {
	if len(r.b) < 4 {
		r.err = errBadPacket
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.err = errBadPacket
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) str() string {
	n := r.u32()
	if r.err != nil || uint32(len(r.b)) < n {
		r.err = errBadPacket
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// statusPacket is an SSH_FXP_STATUS answer to id.
func statusPacket(id, code uint32, msg string) []byte {
	return newPacket(fxpStatus).u32(id).u32(code).str(msg).str("en").bytes()
}

// namePacket is an SSH_FXP_NAME answer to id with one name and no
// attributes.
func namePacket(id uint32, name string) []byte {
	return newPacket(fxpName).u32(id).u32(1).str(name).str(name).u32(0).bytes()
}
