package labs

import (
	"context"
	"io"
	"log/slog"
	"syscall"
	"time"

	"vmhost/config"
	"vmhost/protocol"
)

// Guest is what the service needs to know of one guest.
type Guest struct {
	ID, Owner, Name string
	// State is stopped, starting, running, stopping or broken.
	State string
	// Error is why a broken guest is broken.
	Error string
}

// Process is a process running in a guest; guest.Process implements it.
type Process interface {
	Stdin() io.WriteCloser
	Stdout() io.Reader
	Stderr() io.Reader
	Signal(sig syscall.Signal) error
	Wait() (protocol.ExitStatus, error)
	Close() error
}

// Guests is what the service needs of the guest manager.
type Guests interface {
	// List returns every guest.
	List() []Guest
	// Open makes owner's guest name if it does not exist and starts it;
	// a new guest's setup runs before it returns.
	Open(ctx context.Context, owner, name string) error
	Stop(id string) error
	// Reset brings the guest back to its image, stopped.
	Reset(id string) error
	Remove(id string) error
	// Exec starts a process in the guest id, starting the guest if needed.
	Exec(ctx context.Context, id string, req protocol.SpawnRequest) (Process, error)
}

// Sessions counts the SSH connections open to each guest.
type Sessions interface {
	Sessions(id string) int
}

// Options configure a Service.
type Options struct {
	// Config is the configuration in use.
	Config func() *config.Config
	Guests Guests
	// Sessions counts connections; nil counts none.
	Sessions Sessions
	// Seen tells when guests were last logged in to and used; nil tells
	// nothing.
	Seen *Seen
	// Store keeps setup and check results.
	Store *Store
	// Audit gets one line per operation, naming who did it.
	Audit *slog.Logger
	// Starts bounds how many guests start (or stop, reset, are removed)
	// at once; Execs how many processes run in guests at once; zero
	// means DefaultStarts and DefaultExecs.
	Starts, Execs int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Bounds of the work one operation does at once: starting a guest takes a
// CPU for a moment and memory for good; a check or a copy is a small
// process in a running guest.
const (
	DefaultStarts = 4
	DefaultExecs  = 8
)

// Service runs the class operations. It is safe for concurrent use.
type Service struct {
	opts     Options
	checking *inFlight // students whose own :check runs
	running  *inFlight // classes with an operation under way
}

// New returns a Service for opts.
func New(opts Options) *Service {
	if opts.Starts <= 0 {
		opts.Starts = DefaultStarts
	}
	if opts.Execs <= 0 {
		opts.Execs = DefaultExecs
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Audit == nil {
		opts.Audit = slog.New(slog.DiscardHandler)
	}
	if opts.Sessions == nil {
		opts.Sessions = noSessions{}
	}
	return &Service{opts: opts, checking: newInFlight(), running: newInFlight()}
}

// noSessions counts no sessions.
type noSessions struct{}

func (noSessions) Sessions(string) int { return 0 }
