package admin

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/guest"
)

// ptyDrain is how long a terminal's output is still read once its process
// ended: background processes may keep the terminal open.
const ptyDrain = 200 * time.Millisecond

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
		sr.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
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

// runExec pumps frames between the client and proc until proc ends and its
// output is sent, then sends its exit status.
func runExec(proc guest.Process, in io.Reader, fw *frameWriter) ExitStatus {
	var pty *os.File
	if proc.PTY() != nil {
		f, err := pollablePTY(proc.PTY())
		if err != nil {
			fw.write(FrameError, []byte("using the terminal of the process: "+err.Error()))
			proc.Signal(syscall.SIGHUP)
			return ExitStatus{Code: 255}
		}
		defer f.Close()
		pty = f
	}
	out := startOutput(proc, pty, fw)
	go readInput(proc, pty, in)
	status, err := proc.Wait()
	if pty != nil {
		pty.SetReadDeadline(time.Now().Add(ptyDrain))
	}
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

// startOutput copies the process's output, or its terminal pty, into frames.
func startOutput(proc guest.Process, pty *os.File, fw *frameWriter) *sync.WaitGroup {
	var wg sync.WaitGroup
	if pty != nil {
		wg.Go(func() { io.Copy(streamWriter{fw, FrameStdout}, pty) })
		return &wg
	}
	wg.Go(func() { io.Copy(streamWriter{fw, FrameStdout}, proc.Stdout()) })
	if stderr := proc.Stderr(); stderr != nil {
		wg.Go(func() { io.Copy(streamWriter{fw, FrameStderr}, stderr) })
	}
	return &wg
}

// readInput feeds the client's frames to the process: input, its end and
// resizes of its terminal pty. A client that goes away hangs the process up.
func readInput(proc guest.Process, pty *os.File, in io.Reader) {
	for {
		typ, payload, err := readFrame(in)
		if err != nil {
			proc.Stdin().Close()
			proc.Signal(syscall.SIGHUP)
			return
		}
		switch {
		case typ == FrameStdin && len(payload) == 0:
			if pty == nil {
				proc.Stdin().Close()
			}
		case typ == FrameStdin:
			proc.Stdin().Write(payload)
		case typ == FrameResize && len(payload) == 4 && pty != nil:
			resize(pty, binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]))
		}
	}
}

// resize sets the window size of the terminal pty, a file of pollablePTY.
func resize(pty *os.File, rows, cols uint16) {
	rc, err := pty.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
}

// pollablePTY returns a non-blocking duplicate of the terminal master f, so
// that its reads can time out. The non-blocking mode is shared with f.
func pollablePTY(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup, dupErr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, dupErr
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, err
	}
	return os.NewFile(uintptr(dup), f.Name()), nil
}
