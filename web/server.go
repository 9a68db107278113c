package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"vmhost/config"
	"vmhost/session"
	"vmhost/sshgate"
)

// Terminals starts, attaches and lists kept terminal sessions:
// *sshgate.Server implements it, so that the browser's sessions are SSH's.
type Terminals interface {
	StartTerminal(ctx context.Context, r sshgate.TerminalRequest, out io.Writer) (*sshgate.Terminal, error)
	AttachTerminal(r sshgate.TerminalRequest, n int, out io.Writer) (*sshgate.Terminal, error)
	ListTerminals(r sshgate.TerminalRequest) ([]session.Info, error)
	AdoptTerminals(ctx context.Context, r sshgate.TerminalRequest) (int, error)
	WatchTerminal(r sshgate.TerminalRequest, n int, out io.Writer, join bool) (*session.Watcher, func(), error)
}

// Options configure a Server.
type Options struct {
	// Config is the configuration in use (it may be reloaded): its users
	// and classes decide who reaches which guest.
	Config func() *config.Config
	// BaseURL is what links start with, like https://host:8443.
	BaseURL string
	// Secure is true when the server is reached over HTTPS (directly or
	// through a proxy): the cookie is then Secure.
	Secure bool
	// Guests lists the guests owner has, to offer in the picker; nil
	// offers the owner's default guests only.
	Guests func(owner string) []string
	// GuestStatus tells a guest's state, how many connections it has now
	// and when it was last used, for the teachers' dashboard; nil tells
	// nothing.
	GuestStatus func(owner, guest string) GuestStatus
	// Labs runs the classes' check and reset for the dashboard and tells
	// the last check results; nil offers neither.
	Labs Labs
	// Usage lists every guest with its usage, for the admins' page; nil
	// lists none.
	Usage func() []GuestUsage
	// SessionLifetime and TokenLifetime bound a browser session and a
	// link; config's defaults when zero.
	SessionLifetime, TokenLifetime time.Duration
	// SessionFile keeps the browser sessions (the hashes of their
	// cookies) across restarts; empty keeps them in memory only.
	SessionFile string
	// Logger receives the log and audit lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the browser terminal's HTTP server.
type Server struct {
	opts     Options
	log      *slog.Logger
	audit    *slog.Logger
	links    *links
	browsers *browsers
	limit    *limiter
	conns    *connTable
	origin   string // the origin of BaseURL
	// originHost is the host[:port] of BaseURL.
	originHost string

	mu        sync.Mutex
	terminals Terminals
}

// New returns a Server for opts.
func New(opts Options) (*Server, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("creating the web server: base URL %q is not an http(s) URL", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ds, dt := config.Web{}.Lifetimes()
	opts.SessionLifetime, opts.TokenLifetime = orDefault(opts.SessionLifetime, ds), orDefault(opts.TokenLifetime, dt)
	log := opts.Logger
	s := &Server{
		opts: opts, log: log, audit: log.With("audit", true, "via", "web"),
		links:    newLinks(opts.TokenLifetime, opts.Now),
		browsers: newBrowsers(opts.SessionLifetime, opts.Now, opts.SessionFile, func(err error) { log.Error("keeping browser sessions", "err", err) }),
		limit:    newLimiter(loginBurst, loginInterval, opts.Now),
		conns:    newConnTable(),
		origin:   u.Scheme + "://" + u.Host, originHost: u.Host,
	}
	if err := s.browsers.load(); err != nil {
		log.Warn("the browser sessions of the last run are lost; people ask for a new link", "err", err)
	}
	return s, nil
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Link implements sshgate.WebLinks: a one-time link that opens a browser
// session for person, starting in owner's guest. The token is in the
// link's fragment, which browsers never send: it is in no server's log.
func (s *Server) Link(person, owner, guest string) (string, error) {
	tok, err := s.links.issue(link{person: person, owner: owner, guest: guest})
	if err != nil {
		return "", err
	}
	return s.origin + "/login#" + tok, nil
}

// Revoke ends every browser session of person, their terminals and their
// links waiting to be used, and returns how many browser sessions ended.
func (s *Server) Revoke(person string) int {
	n := s.browsers.revoke(person)
	s.links.revoke(person)
	s.conns.closeAll(person)
	s.audit.Info("web sessions revoked", "user", person, "sessions", n)
	return n
}

// terms returns the terminals, once Serve has them.
func (s *Server) terms() Terminals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.terminals
}

// Bounds of the HTTP server.
const (
	headerTimeout = 10 * time.Second
	idleTimeout   = 2 * time.Minute
	maxHeader     = 16 << 10
)

// Serve serves ln (with tlsConfig, unless nil: plain HTTP) until ctx ends,
// with terms for the terminals.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, terms Terminals) error {
	s.mu.Lock()
	s.terminals = terms
	s.mu.Unlock()
	hs := &http.Server{
		Handler: s.Handler(), ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeader, TLSConfig: tlsConfig,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	go func() {
		<-ctx.Done()
		s.conns.closeEveryone()
		hs.Close()
	}()
	var err error
	if tlsConfig != nil {
		err = hs.ServeTLS(ln, "", "")
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
