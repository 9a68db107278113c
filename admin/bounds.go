package admin

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Bounds of a request on the admin socket, so that a client that stalls,
// or sends more than a request needs, holds nothing for long: its headers
// must come within Options.HeaderTimeout, its body (at most maxBody bytes)
// within Options.BodyTimeout, and a connection idle between requests for
// Options.IdleTimeout is closed. An exec's stream, once switched to, has no
// deadline.
const (
	// DefaultHeaderTimeout is how long a request's headers may take.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultBodyTimeout is how long a request's body may take.
	DefaultBodyTimeout = 10 * time.Second
	// DefaultIdleTimeout is how long a connection may wait for its next
	// request.
	DefaultIdleTimeout = 60 * time.Second
	// maxHeaderBytes bounds a request's headers.
	maxHeaderBytes = 64 << 10
)

// setTimeoutDefaults fills the timeouts of opts left at zero.
func setTimeoutDefaults(opts *Options) {
	if opts.HeaderTimeout == 0 {
		opts.HeaderTimeout = DefaultHeaderTimeout
	}
	if opts.BodyTimeout == 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
}

// readBody reads the whole body of r, within BodyTimeout and maxBody, and
// puts it back as r.Body; handlers then read it from memory. The read
// deadline is lifted afterwards, so a handler that takes long (a stop, a
// build) is not cut off.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		// What is left of the body is not waited for: not when the
		// server would read it to reuse the connection either.
		rc.SetReadDeadline(time.Now())
	} else {
		rc.SetReadDeadline(time.Time{})
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errf(http.StatusRequestEntityTooLarge, "the request's body is more than %d bytes; an admin request is a few hundred", maxBody)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errf(http.StatusRequestTimeout, "the request's body did not come within %v", s.opts.BodyTimeout)
	case err != nil:
		return errf(http.StatusBadRequest, "reading the request: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}

// refuseBody answers a request whose body could not be read, and closes its
// connection: what is left of the body would be read as the next request.
func (s *Server) refuseBody(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("admin request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Connection", "close")
	writeError(w, err)
}
