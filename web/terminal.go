package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"vmhost/session"
	"vmhost/sshgate"
)

// Bounds of a terminal's WebSocket.
const (
	// maxMessage bounds a message from the browser: keys, a paste, a
	// resize.
	maxMessage = 64 << 10
	// writeTimeout bounds the sending of output: a browser that does not
	// read for that long is detached (the session goes on).
	writeTimeout = 20 * time.Second
	// maxRows and maxCols bound a terminal's size.
	maxRows, maxCols = 500, 1000
)

// control is a text message: from the browser a resize, to it what
// happened to the session.
type control struct {
	Type    string `json:"type"` // resize; attached, detached, ended
	Rows    int    `json:"rows,omitempty"`
	Cols    int    `json:"cols,omitempty"`
	Session int    `json:"session,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// terminal answers GET /api/terminal?login=L&session=N|new&rows=R&cols=C&csrf=T
// with a WebSocket attached to a kept session of the guest: binary
// messages are the terminal's bytes both ways, text messages control.
func (s *Server) terminal(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	q := r.URL.Query()
	if !s.sameOrigin(r) || !validCSRF(b, q.Get(csrfParam)) {
		s.audit.Info("web terminal refused", "user", b.person, "reason", "foreign origin or missing CSRF token", "origin", r.Header.Get("Origin"))
		fail(w, http.StatusForbidden, "this request did not come from this site, or lacks its CSRF token")
		return
	}
	req, err := s.request(b, r)
	if err != nil {
		s.audit.Info("web terminal refused", "user", b.person, "login", q.Get("login"), "reason", err.Error())
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	req.Rows, req.Cols = size(q.Get("rows"), 24, maxRows), size(q.Get("cols"), 80, maxCols)
	terms := s.terms()
	if terms == nil {
		fail(w, http.StatusServiceUnavailable, "starting up")
		return
	}
	c, ctx, done, err := s.accept(w, r, b)
	if err != nil {
		return
	}
	defer done()
	s.serveTerminal(ctx, c, terms, req, q.Get("session"))
}

// accept takes a terminal of b's person (within maxConnsPerPerson) and
// accepts the WebSocket, whose context ends when the browser session
// expires or is revoked; done closes it and gives the terminal back.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, b *browser) (*websocket.Conn, context.Context, func(), error) {
	ctx, cancel := context.WithCancel(r.Context())
	release, err := s.conns.take(b.person, cancel)
	if err != nil {
		cancel()
		fail(w, http.StatusTooManyRequests, err.Error())
		return nil, nil, nil, err
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		CompressionMode: websocket.CompressionDisabled,
		OriginPatterns:  []string{s.originHost}, // checked by sameOrigin too; behind a proxy Host is not the origin's
	})
	if err != nil {
		release()
		cancel()
		return nil, nil, nil, err
	}
	c.SetReadLimit(maxMessage)
	expiry := time.AfterFunc(b.expires.Sub(s.opts.Now()), cancel)
	return c, ctx, func() {
		expiry.Stop()
		c.CloseNow()
		release()
		cancel()
	}, nil
}

// size reads a terminal dimension, def when missing or out of 1..most.
func size(s string, def, most int) uint16 {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		return uint16(def)
	}
	return uint16(n)
}

// serveTerminal attaches c to a new session, or to session which, until
// either goes.
func (s *Server) serveTerminal(ctx context.Context, c *websocket.Conn, terms Terminals, req sshgate.TerminalRequest, which string) {
	out := &socketWriter{c: c, ctx: ctx}
	var t *sshgate.Terminal
	var err error
	if which == "new" || which == "" {
		t, err = terms.StartTerminal(ctx, req, out)
	} else if n, aerr := strconv.Atoi(which); aerr == nil && n > 0 {
		t, err = terms.AttachTerminal(req, n, out)
	} else {
		err = errors.New("session is new or a session number")
	}
	if err != nil {
		out.control(control{Type: "ended", Reason: err.Error()})
		c.Close(websocket.StatusPolicyViolation, "refused")
		return
	}
	defer t.Close()
	out.control(control{Type: "attached", Session: t.N})
	go s.readTerminal(ctx, c, t)
	select {
	case <-t.Attachment.Done():
	case <-ctx.Done():
		t.Close()
	}
	s.endTerminal(c, out, t)
}

// endTerminal tells the browser why its terminal ended and closes c.
func (s *Server) endTerminal(c *websocket.Conn, out *socketWriter, t *sshgate.Terminal) {
	err := t.Attachment.Err()
	switch {
	case err == nil:
		status, _ := t.Kept.Status()
		t.Audit.Info("session ended", "exit_code", status.Code)
		out.control(control{Type: "ended", Session: t.N, Reason: "the shell ended"})
		c.Close(websocket.StatusNormalClosure, "ended")
	case errors.Is(err, session.ErrTakenOver), errors.Is(err, session.ErrHungUp):
		t.Audit.Info("session detached", "cause", err.Error())
		out.control(control{Type: "detached", Session: t.N, Reason: err.Error()})
		c.Close(websocket.StatusNormalClosure, "detached")
	default:
		t.Audit.Info("session detached", "cause", err.Error())
	}
}

// readTerminal sends the browser's keys to the session and follows its
// resizes, until the WebSocket goes; then the session is detached.
func (s *Server) readTerminal(ctx context.Context, c *websocket.Conn, t *sshgate.Terminal) {
	defer t.Close()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			t.Kept.Input().Write(data)
			continue
		}
		var m control
		if json.Unmarshal(data, &m) == nil && m.Type == "resize" {
			t.Kept.Resize(size(strconv.Itoa(m.Rows), 24, maxRows), size(strconv.Itoa(m.Cols), 80, maxCols))
		}
	}
}

// socketWriter sends a session's output to the browser as binary
// messages.
type socketWriter struct {
	c   *websocket.Conn
	ctx context.Context
}

// Write implements io.Writer.
func (w *socketWriter) Write(p []byte) (int, error) {
	ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// control sends a control message.
func (w *socketWriter) control(m control) {
	data, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
	defer cancel()
	w.c.Write(ctx, websocket.MessageText, data)
}
