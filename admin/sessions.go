package admin

import (
	"errors"
	"io"
	"net/http"
	"time"

	"vmhost/session"
	"vmhost/session/record"
)

// KeptSessions are the terminal sessions the SSH server keeps, and their
// recordings.
type KeptSessions interface {
	// Live lists the kept sessions of guest, or of every guest for "".
	Live(guest string) []LiveSession
	// Recordings lists the recordings of guest, or of every guest for "".
	Recordings(guest string) ([]record.Entry, error)
	// OpenRecording opens recording id (GUEST/FILE); record.ErrNoRecording
	// when there is none.
	OpenRecording(id string) (io.ReadCloser, error)
	// Session returns session n of guest; session.ErrNoSession when there
	// is none.
	Session(guest string, n int) (*session.Kept, error)
}

// LiveSession is a kept terminal session, as the API shows it.
type LiveSession struct {
	Guest    string    `json:"guest"`
	Session  int       `json:"session"`
	Attached bool      `json:"attached"`
	Since    time.Time `json:"since"`
	Started  time.Time `json:"started"`
	Command  string    `json:"command"`
	Cols     int       `json:"cols"`
	Rows     int       `json:"rows"`
}

// SessionList answers GET /v1/sessions.
type SessionList struct {
	Live       []LiveSession  `json:"live"`
	Recordings []record.Entry `json:"recordings"`
}

// listSessions answers GET /v1/sessions[?guest=NAME].
func (s *Server) listSessions(r *http.Request) (any, error) {
	guest := r.URL.Query().Get("guest")
	out := SessionList{Live: []LiveSession{}, Recordings: []record.Entry{}}
	if s.opts.Kept == nil {
		return out, nil
	}
	out.Live = append(out.Live, s.opts.Kept.Live(guest)...)
	recs, err := s.opts.Kept.Recordings(guest)
	if err != nil {
		return nil, err
	}
	out.Recordings = append(out.Recordings, recs...)
	return out, nil
}

// getRecording answers GET /v1/recordings/{guest}/{file} with the file.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	if s.opts.Kept == nil {
		writeError(w, errf(http.StatusNotFound, "no recordings: this vmhostd keeps no sessions"))
		return
	}
	f, err := s.opts.Kept.OpenRecording(r.PathValue("guest") + "/" + r.PathValue("file"))
	if errors.Is(err, record.ErrNoRecording) {
		writeError(w, errf(http.StatusNotFound, "%v", err))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/x-asciicast")
	io.Copy(w, f)
}
