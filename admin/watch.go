package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vmhost/session"
)

// watchUpgrade is the protocol name of the watch upgrade: the exec
// protocol's frames, the session's output one way, a joiner's keys the
// other.
const watchUpgrade = "vmhost-watch"

// watchSession answers POST /v1/sessions/{guest}/{n}/watch[?join=yes]: it
// sends the session's screen and output to the client, and with join its
// keys to the session, until either ends.
func (s *Server) watchSession(w http.ResponseWriter, r *http.Request) {
	k, err := s.keptSession(r)
	if err != nil {
		writeError(w, err)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.log.Warn("admin watch: taking over the connection", "err", err)
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + watchUpgrade + "\r\n\r\n")
	if rw.Flush() != nil {
		return
	}
	conn.SetDeadline(time.Time{})
	join := r.URL.Query().Get("join") == "yes"
	fw := &frameWriter{w: conn}
	watcher, err := k.Watch(streamWriter{fw, FrameStdout}, "an admin", join)
	if err != nil {
		fw.write(FrameError, []byte(err.Error()))
		return
	}
	defer watcher.Stop()
	s.log.Info("admin watches a session", "audit", true, "guest", r.PathValue("guest"), "session", r.PathValue("n"), "join", join)
	go forwardKeys(rw.Reader, watcher)
	<-watcher.Done()
	data, _ := json.Marshal(ExitStatus{})
	fw.write(FrameExit, data)
}

// forwardKeys sends a joined watcher's keys to the session until the client
// goes, then stops the watcher.
func forwardKeys(in io.Reader, w *session.Watcher) {
	defer w.Stop()
	for {
		typ, payload, err := readFrame(in)
		if err != nil {
			return
		}
		if typ == FrameStdin && len(payload) > 0 {
			w.Input().Write(payload) // a watch-only client's keys are refused
		}
	}
}

// keptSession finds the session a watch request names.
func (s *Server) keptSession(r *http.Request) (*session.Kept, error) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), watchUpgrade) {
		return nil, errf(http.StatusBadRequest, "watch needs the headers Connection: Upgrade and Upgrade: %s", watchUpgrade)
	}
	if s.opts.Kept == nil {
		return nil, errf(http.StatusNotFound, "this vmhostd keeps no sessions")
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return nil, errf(http.StatusBadRequest, "%q is not a session number", r.PathValue("n"))
	}
	k, err := s.opts.Kept.Session(r.PathValue("guest"), n)
	if errors.Is(err, session.ErrNoSession) {
		return nil, errf(http.StatusNotFound, "guest %s has no session %d; see vmhostd session ls", r.PathValue("guest"), n)
	}
	return k, err
}
