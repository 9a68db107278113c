package admin

import (
	"errors"
	"fmt"
	"net/http"

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
// or an image not built, 500 otherwise.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.Is(err, guest.ErrUnknownGuest), errors.Is(err, images.ErrNotBuilt):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// writeError answers with err and its status.
func writeError(w http.ResponseWriter, err error) {
	msg := err.Error()
	if errors.Is(err, guest.ErrUnknownGuest) {
		msg += "; see vmhostd guest ls"
	}
	writeJSON(w, statusOf(err), errorBody{Error: msg})
}
