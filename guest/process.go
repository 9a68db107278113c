package guest

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"vmhost/protocol"
)

// SpawnRequest describes a process to start inside a guest; see
// protocol.SpawnRequest.
type SpawnRequest = protocol.SpawnRequest

// TTY is the terminal asked for by a client; see protocol.TTY.
type TTY = protocol.TTY

// ExitStatus is how a process ended; see protocol.ExitStatus.
type ExitStatus = protocol.ExitStatus

// ErrGuestStopped is returned by a Process's Wait when the guest stopped
// (its init ended, which ends every process of the guest) before the
// process's exit was told. The guest starts again on its next use.
var ErrGuestStopped = errors.New("the guest stopped")

// Process is a process running inside a guest.
type Process interface {
	// Stdin is the process's standard input (the terminal with a TTY).
	Stdin() io.WriteCloser
	// Stdout is the process's standard output (the terminal with a TTY).
	Stdout() io.Reader
	// Stderr is the process's standard error; nil with a TTY.
	Stderr() io.Reader
	// PTY is the terminal's master side, for resizes; nil without a TTY.
	PTY() *os.File
	// Signal sends sig to the process.
	Signal(sig syscall.Signal) error
	// Wait blocks until the process ends and says how it ended. It does not wait
	// for its output to be read.
	Wait() (ExitStatus, error)
	// Close releases the process's files; the process itself is not touched.
	Close() error
}

// Running is a running guest: it starts processes and opens connections
// inside the guest.
type Running interface {
	// Spawn starts a process inside the guest.
	Spawn(ctx context.Context, req SpawnRequest) (Process, error)
	// Dial connects from inside the guest: network "tcp" dials address
	// (host:port) in the guest's network namespace, so 127.0.0.1 is the guest's
	// own loopback; network "unix" dials a socket path in the guest's files.
	Dial(ctx context.Context, network, address string) (net.Conn, error)
	// Listen listens inside the guest, as Dial connects. For "tcp", port 0
	// picks a free port (the listener's Addr tells which). For "unix", missing
	// parent directories are made, private to the guest's root (0700).
	Listen(ctx context.Context, network, address string) (net.Listener, error)
}
