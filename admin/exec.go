package admin

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
	"vmhost/session"

	"vmhost/guest"
)

// exec answers POST /v1/guests/{id}/exec: it starts the process, then
// switches the connection to the exec protocol.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	proc, err := s.startExec(r)
	if err != nil {
		err = s.hintGuest(r, err)
		s.log.Info("admin exec refused", "path", r.URL.Path, "err", err)
		writeError(w, err)
		return
	}
	defer proc.Close()
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		proc.Signal(syscall.SIGHUP)
		s.log.Warn("admin exec: taking over the connection", "err", err)
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + execUpgrade + "\r\n\r\n")
	if err := rw.Flush(); err != nil {
		proc.Signal(syscall.SIGHUP)
		return
	}
	conn.SetDeadline(time.Time{})
	st := runExec(proc, rw.Reader, &frameWriter{w: conn})
	s.log.Info("admin exec ended", "guest", r.PathValue("id"), "code", st.Code, "signal", st.Signal)
}

// startExec checks the request and starts its process.
func (s *Server) startExec(r *http.Request) (guest.Process, error) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), execUpgrade) {
		return nil, errf(http.StatusBadRequest, "exec needs the headers Connection: Upgrade and Upgrade: %s", execUpgrade)
	}
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	var req ExecRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if len(req.Argv) == 0 || req.Argv[0] == "" {
		return nil, errf(http.StatusBadRequest, "no command to run; give one after --")
	}
	s.log.Info("admin exec", "guest", id, "argv", req.Argv, "tty", req.TTY)
	return s.opts.Guests.Exec(r.Context(), id, spawnRequest(req))
}

// spawnRequest turns an ExecRequest into what the guest runs.
func spawnRequest(req ExecRequest) guest.SpawnRequest {
	sr := guest.SpawnRequest{Argv: req.Argv, Env: req.Env, Dir: req.Dir}
	if len(sr.Env) == 0 {
		sr.Env = session.Env("LANG=C.UTF-8")
	}
	if req.TTY {
		term := req.Term
		if term == "" {
			term = "xterm"
		}
		sr.TTY = &guest.TTY{Term: term, Rows: orDefault(req.Rows, 24), Cols: orDefault(req.Cols, 80)}
		sr.Env = append(sr.Env, "TERM="+term)
	}
	return sr
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def uint16) uint16 {
	if v == 0 {
		return def
	}
	return v
}

// runExec pumps frames between the client and proc, through the session
// layer, until proc ends and its output is sent, then sends its exit status.
func runExec(proc guest.Process, in io.Reader, fw *frameWriter) ExitStatus {
	att, err := session.Attach(proc)
	if err != nil {
		fw.write(FrameError, []byte(err.Error()))
		proc.Signal(syscall.SIGHUP)
		return ExitStatus{Code: 255}
	}
	defer att.Close()
	out := startOutput(att, fw)
	go readInput(att, in)
	status, err := att.Wait()
	out.Wait()
	if err != nil {
		fw.write(FrameError, []byte("waiting for the process: "+err.Error()))
		return ExitStatus{Code: 255}
	}
	st := ExitStatus{Code: status.Code, Signal: int(status.Signal)}
	data, _ := json.Marshal(st)
	fw.write(FrameExit, data)
	return st
}

// startOutput copies the process's output (its terminal, or stdout and
// stderr) into frames.
func startOutput(att *session.Attached, fw *frameWriter) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(streamWriter{fw, FrameStdout}, att.Output()) })
	if stderr := att.Errors(); stderr != nil {
		wg.Go(func() { io.Copy(streamWriter{fw, FrameStderr}, stderr) })
	}
	return &wg
}

// readInput feeds the client's frames to the process: input, its end and
// resizes of its terminal. A client that goes away hangs the process up.
func readInput(att *session.Attached, in io.Reader) {
	for {
		typ, payload, err := readFrame(in)
		if err != nil {
			att.Input().Close()
			att.Signal(syscall.SIGHUP)
			return
		}
		switch {
		case typ == FrameStdin && len(payload) == 0:
			if !att.TTY() {
				att.Input().Close()
			}
		case typ == FrameStdin:
			att.Input().Write(payload)
		case typ == FrameResize && len(payload) == 4:
			att.Resize(binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]))
		}
	}
}
