package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// The control protocol: one Request or Reply per SOCK_SEQPACKET message, a JSON
// object of at most MaxMessage bytes, with file descriptors attached by
// SCM_RIGHTS where a Reply hands them over. The daemon opens one connection per
// process it spawns; the init answers with the pid and the process's files, and
// later with its exit status. Closing the connection does not touch the process.

// MaxMessage bounds every message on the control socket, both ways.
const MaxMessage = 64 << 10

// DialTimeout bounds a connection an init makes for the daemon (OpDial);
// the daemon waits for the answer a little longer.
const DialTimeout = 10 * time.Second

// MaxFDs bounds the descriptors a message may carry.
const MaxFDs = 3

// Request operations.
const (
	OpSpawn  = "spawn"
	OpSignal = "signal"
	OpDial   = "dial"
	OpListen = "listen"
	// OpView replaces the guest's view files: the request's View names the
	// guest paths, and carries as many detached mounts (open_tree clones of
	// the view server's files), in the same order; none takes the view
	// away, leaving the kernel's files.
	OpView = "view"
	// OpSessions lists the terminal sessions the init keeps (see
	// SpawnRequest.Keep); OpReattach hands one of them over on a new
	// connection, as a spawn does; OpHangUp, on a kept process's
	// connection, has the init drop its copy of the terminal and hang the
	// process up.
	OpSessions = "sessions"
	OpReattach = "reattach"
	OpHangUp   = "hangup"
)

// MaxKept bounds the terminal sessions one init keeps; past it, a process
// asked to be kept is started as any other.
const MaxKept = 64

// KeptSession is a terminal session an init keeps.
type KeptSession struct {
	ID       uint64 `json:"id"`
	Pid      int    `json:"pid"`
	Command  string `json:"command,omitempty"`
	Started  int64  `json:"started"`            // Unix seconds
	Detached int64  `json:"detached,omitempty"` // Unix seconds; 0 while a connection holds it
}

// Request is a message from the daemon to a guest's init.
type Request struct {
	Op     string        `json:"op"`
	Spawn  *SpawnRequest `json:"spawn,omitempty"`
	Signal int           `json:"signal,omitempty"`
	// Network and Address say where to dial or listen: "tcp" and host:port,
	// or "unix" and a path.
	Network string `json:"network,omitempty"`
	Address string `json:"address,omitempty"`
	// View lists the guest paths of an OpView request, each one of ViewFiles.
	View []string `json:"view,omitempty"`
	// Session is the ID of the kept session an OpReattach asks for.
	Session uint64 `json:"session,omitempty"`
}

// Reply is a message from a guest's init to the daemon.
type Reply struct {
	Error string      `json:"error,omitempty"`
	Pid   int         `json:"pid,omitempty"`
	Exit  *ExitStatus `json:"exit,omitempty"`
	// Mounted is how many view files an OpView request left mounted.
	Mounted int `json:"mounted,omitempty"`
	// Sessions answers OpSessions: at most MaxKept.
	Sessions []KeptSession `json:"sessions,omitempty"`
}

// ErrMessageTooLarge is returned for a message over MaxMessage bytes.
var ErrMessageTooLarge = errors.New("control message too large")

// SendMessage writes v as one message on c, with files attached.
func SendMessage(c *net.UnixConn, v any, files ...int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding control message: %w", err)
	}
	if len(data) > MaxMessage {
		return ErrMessageTooLarge
	}
	var oob []byte
	if len(files) > 0 {
		oob = unix.UnixRights(files...)
	}
	if _, _, err := c.WriteMsgUnix(data, oob, nil); err != nil {
		return fmt.Errorf("sending control message: %w", err)
	}
	return nil
}

// RecvMessage reads one message from c into v and returns the files that came
// with it, marked close-on-exec. A message with more than MaxFDs files, or one
// cut short, is an error and its files are closed.
func RecvMessage(c *net.UnixConn, v any) ([]int, error) {
	return RecvMessageFDs(c, v, MaxFDs)
}

// RecvMessageFDs is RecvMessage with room for maxFDs files: the init reads
// the daemon's requests with it, an OpView request carrying up to
// MaxViewFiles.
func RecvMessageFDs(c *net.UnixConn, v any, maxFDs int) ([]int, error) {
	buf := make([]byte, MaxMessage+1)
	oob := make([]byte, unix.CmsgSpace(4*maxFDs))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if errors.Is(err, io.EOF) {
		return nil, ErrClosed
	}
	if err != nil {
		return nil, fmt.Errorf("reading control message: %w", err)
	}
	files, err := parseRights(oob[:oobn], maxFDs)
	if err == nil && flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		err = ErrMessageTooLarge
	}
	if err == nil && n == 0 {
		err = ErrClosed
	}
	if err == nil {
		err = decodeMessage(buf[:n], v)
	}
	if err != nil {
		CloseAll(files)
		return nil, err
	}
	return files, nil
}

// ErrClosed is returned when the peer closed the connection.
var ErrClosed = errors.New("control connection closed")

// decodeMessage decodes one message's JSON, refusing oversized input.
func decodeMessage(data []byte, v any) error {
	if len(data) > MaxMessage {
		return ErrMessageTooLarge
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding control message: %w", err)
	}
	return nil
}

// parseRights returns the descriptors in a control-message buffer.
func parseRights(oob []byte, maxFDs int) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parsing control message rights: %w", err)
	}
	var files []int
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			CloseAll(files)
			return nil, fmt.Errorf("parsing control message rights: %w", err)
		}
		files = append(files, fds...)
	}
	for _, fd := range files {
		unix.CloseOnExec(fd)
	}
	if len(files) > maxFDs {
		CloseAll(files)
		return nil, fmt.Errorf("control message carries %d files, at most %d allowed", len(files), maxFDs)
	}
	return files, nil
}

// CloseAll closes every descriptor in fds.
func CloseAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
