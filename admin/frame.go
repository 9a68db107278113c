package admin

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Frame types of the exec protocol (see the package doc).
const (
	FrameStdin  byte = 'i'
	FrameResize byte = 'r'
	FrameStdout byte = 'o'
	FrameStderr byte = 'e'
	FrameExit   byte = 'x'
	FrameError  byte = 'E'
)

// maxFrame bounds a frame's payload.
const maxFrame = 1 << 20

// execUpgrade is the protocol name of the exec upgrade.
const execUpgrade = "vmhost-exec"

// frameWriter writes frames; it is safe for concurrent use.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// write sends one frame.
func (fw *frameWriter) write(typ byte, payload []byte) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := fw.w.Write(append(hdr[:], payload...)); err != nil {
		return fmt.Errorf("writing exec frame: %w", err)
	}
	return nil
}

// streamWriter is an io.Writer that sends what it gets as frames of one type.
type streamWriter struct {
	fw  *frameWriter
	typ byte
}

// Write implements io.Writer.
func (s streamWriter) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := min(len(rest), maxFrame)
		if err := s.fw.write(s.typ, rest[:n]); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// readFrame reads one frame.
func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("exec frame of %d bytes is too large", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("reading exec frame: %w", err)
	}
	return hdr[0], payload, nil
}
