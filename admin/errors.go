package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"vmhost/guest"
	"vmhost/images"
)

// httpError is an error with the HTTP status it is answered with.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

// errf returns an httpError.
func errf(code int, format string, args ...any) error {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

// statusOf returns the HTTP status of err: its own, 404 for an unknown guest
// or an image not built, 400 for bad limits, 500 otherwise.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.Is(err, guest.ErrUnknownGuest), errors.Is(err, images.ErrNotBuilt):
		return http.StatusNotFound
	case errors.Is(err, guest.ErrBadLimits):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// writeError answers with err and its status.
func writeError(w http.ResponseWriter, err error) {
	msg := err.Error()
	var meant *meantGuest
	if errors.Is(err, guest.ErrUnknownGuest) && !errors.As(err, &meant) {
		msg += "; see vmhostd guest ls"
	}
	writeJSON(w, statusOf(err), errorBody{Error: msg})
}

// meantGuest is the error about an unknown guest named like other owners'
// guests: `vmhostd guest ls` shows OWNER and NAME apart, and a guest that is
// not its owner's own is named OWNER+NAME everywhere else.
type meantGuest struct {
	err    error
	logins []string
}

func (e *meantGuest) Error() string {
	return fmt.Sprintf("%v; did you mean %s?", e.err, strings.Join(e.logins, " or "))
}

func (e *meantGuest) Unwrap() error { return e.err }

// hintGuest returns err, about the request's guest {id}, with the logins of
// the guests whose NAME is that id, if it is about an unknown guest.
func (s *Server) hintGuest(r *http.Request, err error) error {
	id := r.PathValue("id")
	if !errors.Is(err, guest.ErrUnknownGuest) || id == "" || strings.Contains(id, "+") {
		return err
	}
	var logins []string
	for _, in := range s.opts.Guests.List() {
		if in.Name == id && in.ID() != id {
			logins = append(logins, in.ID())
		}
	}
	if len(logins) == 0 {
		return err
	}
	return &meantGuest{err: err, logins: logins}
}
