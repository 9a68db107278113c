package sshgate

import (
	"bytes"
	"context"
	"io"

	"vmhost/guest"
)

// progressContext is the session's context, carrying where starting the
// guest shows its progress (such as the image build a first login waits
// for): the terminal of a session with a pty. Sessions without one get
// nothing extra: rsync, scp and scripts read their output.
func (s *session) progressContext() context.Context {
	s.mu.Lock()
	tty := s.tty != nil && s.kind != subsystemSFTP
	s.mu.Unlock()
	if !tty {
		return s.ctx
	}
	return guest.WithProgress(s.ctx, crlfWriter{s.ch.Stderr()})
}

// crlfWriter ends lines with CR LF, as a terminal in raw mode needs.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
