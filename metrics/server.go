package metrics

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Bounds of the HTTP endpoint: a scrape that takes longer is answered 503,
// and at most maxScrapes run at once (more are answered 503 at once).
const (
	scrapeTimeout  = 10 * time.Second
	maxScrapes     = 2
	maxTokenFile   = 4 << 10
	headerTimeout  = 5 * time.Second
	maxHeaderBytes = 16 << 10
)

// Settings are where the endpoint listens and the file of its token.
type Settings struct {
	// Listen is host:port; empty serves nothing.
	Listen string
	// TokenFile holds the bearer token; empty asks for none.
	TokenFile string
}

// Server serves /metrics over plain HTTP, in the Prometheus text and
// OpenMetrics formats, and is reconfigured by Apply when the daemon reloads.
type Server struct {
	log     *slog.Logger
	handler http.Handler
	token   atomic.Pointer[[]byte] // nil asks for no token

	mu  sync.Mutex // serializes Apply and Close
	cur Settings
	srv *http.Server
}

// NewRegistry returns a registry with the collector c, the counters of d,
// and the Go runtime and process collectors.
func NewRegistry(c *Collector, d *Daemon) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(d.collectors()...)
	return reg
}

// NewServer returns a server of what g gathers; it serves nothing until
// Apply.
func NewServer(g prometheus.Gatherer, log *slog.Logger) *Server {
	s := &Server{log: log}
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{
		EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError,
		MaxRequestsInFlight: maxScrapes, Timeout: scrapeTimeout,
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.authorize(h))
	s.handler = mux
	return s
}

// authorize passes on the requests that carry the token, when there is one.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := s.token.Load(); tok != nil && !bearerMatches(r.Header.Get("Authorization"), *tok) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vmhost metrics"`)
			http.Error(w, "a bearer token is required (metrics.token_file)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerMatches reports whether the Authorization header hdr is "Bearer "
// followed by token, comparing in constant time.
func bearerMatches(hdr string, token []byte) bool {
	const prefix = "Bearer "
	if len(hdr) < len(prefix) || !bytes.EqualFold([]byte(hdr[:len(prefix)]), []byte(prefix)) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hdr[len(prefix):]), token) == 1
}

// ReadToken reads a token file: one line, at least 16 characters, no
// whitespace inside.
func ReadToken(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading metrics.token_file: %w", err)
	}
	defer f.Close()
	b := make([]byte, maxTokenFile+1)
	n, _ := f.Read(b)
	tok := bytes.TrimSpace(b[:n])
	switch {
	case n > maxTokenFile:
		return nil, fmt.Errorf("reading metrics.token_file %s: longer than %d bytes; write one token of 16 to 1024 characters", path, maxTokenFile)
	case len(tok) < 16 || bytes.ContainsAny(tok, " \t\r\n"):
		return nil, fmt.Errorf("reading metrics.token_file %s: write one token of at least 16 characters with no space, such as the output of `openssl rand -hex 32`", path)
	}
	return tok, nil
}

// Apply serves with set from now on: a new token at once, a new address by
// closing the old listener and opening the new. On an error the settings
// in use are kept.
func (s *Server) Apply(set Settings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var tok []byte
	if set.TokenFile != "" {
		t, err := ReadToken(set.TokenFile)
		if err != nil {
			return err
		}
		tok = t
	}
	if set.Listen != s.cur.Listen {
		if err := s.relisten(set.Listen); err != nil {
			return err
		}
	}
	s.storeToken(tok)
	s.cur = set
	return nil
}

// storeToken sets the token; nil asks for none.
func (s *Server) storeToken(tok []byte) {
	if tok == nil {
		s.token.Store(nil)
		return
	}
	s.token.Store(&tok)
}

// relisten stops serving on the old address and serves on addr ("" for
// none). s.mu must be held.
func (s *Server) relisten(addr string) error {
	var ln net.Listener
	if addr != "" {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listening for metrics on %s: %w", addr, err)
		}
	}
	s.stop()
	if ln == nil {
		return nil
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: headerTimeout, MaxHeaderBytes: maxHeaderBytes,
		WriteTimeout: scrapeTimeout + 5*time.Second, IdleTimeout: time.Minute}
	s.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serving metrics stopped", "addr", addr, "err", err)
		}
	}()
	s.log.Info("serving metrics", "addr", ln.Addr().String())
	return nil
}

// stop closes the listener and connections in use. s.mu must be held.
func (s *Server) stop() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.srv.Shutdown(ctx)
		s.srv = nil
	}
}

// Close stops serving.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
	s.cur = Settings{}
}
