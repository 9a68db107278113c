package sshgate

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	vmsession "vmhost/session"

	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

// exitStatusMsg is the payload of an "exit-status" request (RFC 4254 6.10).
type exitStatusMsg struct {
	Status uint32
}

// exitSignalMsg is the payload of an "exit-signal" request (RFC 4254 6.10).
type exitSignalMsg struct {
	Signal     string
	CoreDumped bool
	Message    string
	Lang       string
}

// pump copies the channel to the process's input and its output to the
// channel until the process has ended and its output is drained.
func (s *session) pump(att *vmsession.Attached) (guest.ExitStatus, error) {
	var out sync.WaitGroup
	in, stdout := att.Input(), s.moshTap(att.Output())
	if s.files != nil {
		in, stdout = s.files.tap(in, stdout)
	}
	closeOnEOF := !att.TTY() // a terminal stays open, as with OpenSSH
	s.conn.goSafe("process input", func() { copyInput(in, s.ch, closeOnEOF) })
	out.Go(s.conn.guard("process output", func() { copyBulk(s.ch, stdout) }))
	if stderr := att.Errors(); stderr != nil {
		out.Go(s.conn.guard("process errors", func() { io.Copy(s.ch.Stderr(), stderr) }))
	}
	status, err := att.Wait()
	out.Wait()
	return status, err
}

// bulkBuffer is the buffer of copyBulk: a read from a full 1 MiB pipe (see
// guest's bulkPipeSize) takes up to this much at once.
const bulkBuffer = 256 << 10

// copyBulk copies r to w through a bulkBuffer, for data that may be a file
// transfer: a process's input and output, a forwarded connection. A
// channel's read takes every packet that has come, up to the buffer. The
// WriteTo and ReadFrom of a *os.File or a net.Conn would copy through 32 KiB:
// both sides are wrapped to hide them.
func copyBulk(w io.Writer, r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, make([]byte, bulkBuffer))
}

// copyInput copies the client's input to w. The client's EOF closes w when
// closeOnEOF is set (pipes); a terminal stays open, as with OpenSSH.
func copyInput(w io.WriteCloser, ch ssh.Channel, closeOnEOF bool) {
	_, err := copyBulk(w, ch)
	if err == nil && closeOnEOF {
		w.Close()
	}
}

// finish tells the client how the process ended, then closes the channel:
// exit status, EOF, close, in OpenSSH's order.
func (s *session) finish(status guest.ExitStatus, err error) {
	if err != nil {
		s.end(fmt.Errorf("waiting for the process: %w", err))
		if errors.Is(err, guest.ErrGuestStopped) {
			fmt.Fprint(s.ch.Stderr(), guestStoppedMessage)
		}
	} else {
		s.end(fmt.Errorf("process ended: %s", describe(status)))
		s.sendExit(status)
	}
	s.ch.CloseWrite()
	s.ch.Close()
	s.closeProcess()
}

// guestStoppedMessage is what a session whose guest stopped under it shows.
const guestStoppedMessage = "\r\nvmhost: the guest stopped (its init ended), and this session with it; " +
	"log in again to start it, files intact.\r\n"

// fail reports err on the channel's stderr (see [userMessage]) and ends the
// session with exit status 1; nothing was started.
func (s *session) fail(err error) {
	s.end(fmt.Errorf("starting the session: %w", err))
	fmt.Fprintf(s.ch.Stderr(), "vmhost: %s\r\n", userMessage(err))
	s.sendExit(guest.ExitStatus{Code: 1})
	s.ch.CloseWrite()
	s.ch.Close()
}

// userMessage is what the client is told of err: the UserMessage of the
// first error in its chain that has one for users, such as
// netplumb.ErrBridgeFull's (what is wrong and what to do, with none of the
// host's names and paths), else err itself.
func userMessage(err error) string {
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return u.UserMessage()
	}
	return err.Error()
}

// sendExit sends exit-signal when the process was killed by a signal, else
// exit-status.
func (s *session) sendExit(status guest.ExitStatus) {
	var err error
	if status.Signal != 0 {
		_, err = s.ch.SendRequest("exit-signal", false, ssh.Marshal(exitSignalMsg{
			Signal:     signalName(status.Signal),
			CoreDumped: status.CoreDumped,
		}))
	} else {
		_, err = s.ch.SendRequest("exit-status", false, ssh.Marshal(exitStatusMsg{uint32(status.Code)}))
	}
	if err != nil {
		s.log.Debug("sending exit status", "err", err)
	}
}

// describe says how a process ended, for logs.
func describe(status guest.ExitStatus) string {
	if status.Signal == 0 {
		return fmt.Sprintf("exit status %d", status.Code)
	}
	core := ""
	if status.CoreDumped {
		core = " (core dumped)"
	}
	return fmt.Sprintf("killed by %s%s", unixSignalName(status.Signal), core)
}

// unixSignalName returns "SIGTERM" style names, for logs.
func unixSignalName(sig syscall.Signal) string {
	if name := signalName(sig); name != unknownSignalName {
		return "SIG" + name
	}
	return fmt.Sprintf("signal %d", int(sig))
}
