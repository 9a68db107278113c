package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"vmhost/labs"
)

// Labs runs the classes of the configuration; *labs.Service implements
// it. The admin API is root's: every class is reachable.
type Labs interface {
	Classes(keep func(class string) bool) []labs.ClassInfo
	Status(req labs.Request) ([]labs.Status, error)
	Provision(ctx context.Context, req labs.Request, progress io.Writer) (labs.Report, error)
	Check(ctx context.Context, req labs.Request, progress io.Writer) (labs.Report, error)
	Reset(ctx context.Context, req labs.Request, progress io.Writer) (labs.Report, error)
	Stop(ctx context.Context, req labs.Request, progress io.Writer) (labs.Report, error)
	Remove(ctx context.Context, req labs.Request, progress io.Writer) (labs.Report, error)
	Distribute(ctx context.Context, req labs.Request, path string, data []byte, progress io.Writer) (labs.Report, error)
	Collect(ctx context.Context, req labs.Request, path string, sink labs.Sink, progress io.Writer) (labs.Report, error)
}

// LabEvent is one line of the answer of a class operation: progress lines
// and collected files, then the report or an error.
type LabEvent struct {
	Progress string `json:"progress,omitempty"`
	// File is a collected file.
	File   *LabFile     `json:"file,omitempty"`
	Report *labs.Report `json:"report,omitempty"`
	Error  string       `json:"error,omitempty"`
}

// LabFile is a collected file: its name, STUDENT/NAME or
// STUDENT/HOST/NAME, and its bytes.
type LabFile struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// labRoutes registers the routes of classes, when the daemon runs them.
func (s *Server) labRoutes() {
	if s.opts.Labs == nil {
		return
	}
	s.handle("GET /v1/labs", func(*http.Request) (any, error) { return orEmptyList(s.opts.Labs.Classes(nil)), nil })
	s.handle("GET /v1/labs/{class}", func(r *http.Request) (any, error) {
		rows, err := s.opts.Labs.Status(labRequest(r))
		if err != nil {
			return nil, labError(err)
		}
		return rows, nil
	})
	ops := map[string]func(context.Context, labs.Request, io.Writer) (labs.Report, error){
		"provision": s.opts.Labs.Provision, "check": s.opts.Labs.Check, "stop": s.opts.Labs.Stop,
		"reset": s.opts.Labs.Reset, "rm": s.opts.Labs.Remove,
	}
	for name, op := range ops {
		s.mux.HandleFunc("POST /v1/labs/{class}/"+name, func(w http.ResponseWriter, r *http.Request) {
			if (name == "reset" || name == "rm") && r.URL.Query().Get("confirm") != "yes" {
				writeError(w, errNotConfirmed)
				return
			}
			s.labStream(w, r, func(ev *labEvents) (labs.Report, error) { return op(r.Context(), labRequest(r), ev) })
		})
	}
	s.mux.HandleFunc("POST /v1/labs/{class}/distribute", s.labDistribute)
	s.mux.HandleFunc("POST /v1/labs/{class}/collect", s.labCollect)
}

// orEmptyList returns l, or an empty list for JSON's [].
func orEmptyList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// labRequest is the class operation r asks for: by root.
func labRequest(r *http.Request) labs.Request {
	return labs.Request{Class: r.PathValue("class"), Student: r.URL.Query().Get("student"), By: "root"}
}

// errNotConfirmed refuses reset and rm, which lose files, without
// ?confirm=yes.
var errNotConfirmed = errf(http.StatusBadRequest, "this loses the students' files; confirm it with --yes")

// labDistribute answers POST /v1/labs/{class}/distribute?path=P: the body
// is the file.
func (s *Server) labDistribute(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body) // read already, within the body's bound
	if err != nil {
		writeError(w, err)
		return
	}
	s.labStream(w, r, func(ev *labEvents) (labs.Report, error) {
		return s.opts.Labs.Distribute(r.Context(), labRequest(r), r.URL.Query().Get("path"), data, ev)
	})
}

// labCollect answers POST /v1/labs/{class}/collect?path=P: the files come
// as events, for the client to write.
func (s *Server) labCollect(w http.ResponseWriter, r *http.Request) {
	s.labStream(w, r, func(ev *labEvents) (labs.Report, error) {
		return s.opts.Labs.Collect(r.Context(), labRequest(r), r.URL.Query().Get("path"), ev, ev)
	})
}

// labStream answers r with the events of op: an error before any event
// is an ordinary error answer; after, the stream's last event.
func (s *Server) labStream(w http.ResponseWriter, r *http.Request, op func(*labEvents) (labs.Report, error)) {
	ev := &labEvents{w: w}
	rep, err := op(ev)
	if err != nil {
		err = labError(err)
		s.log.Info("admin lab request refused", "path", r.URL.Path, "err", err)
		if !ev.started {
			writeError(w, err)
			return
		}
		ev.send(LabEvent{Error: err.Error()})
		return
	}
	ev.send(LabEvent{Report: &rep})
}

// labError gives err its HTTP status.
func labError(err error) error {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return err
	case errors.Is(err, labs.ErrNoClass), errors.Is(err, labs.ErrNoStudent):
		return errf(http.StatusNotFound, "%v", err)
	}
	return errf(http.StatusBadRequest, "%v", err)
}

// labEvents writes LabEvent lines, flushed at once: progress as it is
// written, files as a labs.Sink.
type labEvents struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
	partial []byte // a progress line not ended yet
}

// Write implements io.Writer: each line a progress event.
func (e *labEvents) Write(p []byte) (int, error) {
	e.mu.Lock()
	buf := append(e.partial, p...)
	var lines []string
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		lines, buf = append(lines, string(buf[:i])), buf[i+1:]
	}
	e.partial = append([]byte(nil), buf...)
	e.mu.Unlock()
	for _, l := range lines {
		e.send(LabEvent{Progress: l})
	}
	return len(p), nil
}

// Put implements labs.Sink.
func (e *labEvents) Put(name string, data []byte) error {
	return e.send(LabEvent{File: &LabFile{Name: name, Data: data}})
}

// send writes one event and flushes it, starting the answer first.
func (e *labEvents) send(ev LabEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		e.started = true
		e.w.Header().Set("Content-Type", "application/x-ndjson")
		e.w.WriteHeader(http.StatusOK)
		e.enc = json.NewEncoder(e.w)
	}
	if err := e.enc.Encode(ev); err != nil {
		return err
	}
	return http.NewResponseController(e.w).Flush()
}
