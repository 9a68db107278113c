package sshgate

import (
	"encoding/binary"
	"fmt"
	"math"

	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

// ptyReqMsg is the payload of a "pty-req" request (RFC 4254 section 6.2).
type ptyReqMsg struct {
	Term     string
	Cols     uint32
	Rows     uint32
	WidthPx  uint32
	HeightPx uint32
	Modes    string
}

// windowChangeMsg is the payload of a "window-change" request (section 6.7).
type windowChangeMsg struct {
	Cols     uint32
	Rows     uint32
	WidthPx  uint32
	HeightPx uint32
}

// parsePTYReq decodes a pty-req payload into the terminal it asks for.
func parsePTYReq(payload []byte) (*guest.TTY, error) {
	var m ptyReqMsg
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("decoding pty-req: %w", err)
	}
	modes, err := parseModes([]byte(m.Modes))
	if err != nil {
		return nil, err
	}
	return &guest.TTY{Term: m.Term, Rows: clamp16(m.Rows), Cols: clamp16(m.Cols), Modes: modes}, nil
}

// parseWindowChange decodes a window-change payload.
func parseWindowChange(payload []byte) (rows, cols uint16, err error) {
	var m windowChangeMsg
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return 0, 0, fmt.Errorf("decoding window-change: %w", err)
	}
	return clamp16(m.Rows), clamp16(m.Cols), nil
}

// parseModes decodes encoded terminal modes (RFC 4254 section 8): opcode
// bytes each followed by a uint32, up to TTY_OP_END (0) or an opcode of 160
// or more, whose arguments are undefined and which end the parsing.
func parseModes(b []byte) (map[uint8]uint32, error) {
	modes := make(map[uint8]uint32)
	for len(b) > 0 {
		op := b[0]
		if op == 0 || op >= 160 {
			break
		}
		if len(b) < 5 {
			return nil, fmt.Errorf("decoding terminal modes: opcode %d is cut short", op)
		}
		modes[op] = binary.BigEndian.Uint32(b[1:5])
		b = b[5:]
	}
	return modes, nil
}

// clamp16 converts a terminal dimension to uint16, saturating.
func clamp16(v uint32) uint16 {
	return uint16(min(v, math.MaxUint16))
}
