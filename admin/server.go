package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// Options configure a Server. Guests, Images and Daemon are required.
type Options struct {
	Guests Guests
	// Limits serves stats and live limits; nil leaves those routes out.
	Limits   Limiter
	Images   Images
	Daemon   Daemon
	Sessions Sessions // nil counts no sessions
	// Kept lists kept terminal sessions and serves their recordings; nil
	// lists none.
	Kept KeptSessions
	// Labs runs the classes; nil leaves the /v1/labs routes out.
	Labs Labs
	// Cluster holds the guests assigned to this node; nil: the daemon
	// has no cluster agent role, and the /v1/cluster routes are left out.
	Cluster Cluster
	// Web revokes browser sessions; nil: there is no browser terminal.
	Web    WebSessions
	Logger *slog.Logger
	// AdminUID is the uid a peer must have; root (0) unless a test says.
	AdminUID int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HeaderTimeout, BodyTimeout and IdleTimeout bound how long a client
	// may take to send a request's headers and body, and stay idle between
	// requests; zero means DefaultHeaderTimeout and the like.
	HeaderTimeout, BodyTimeout, IdleTimeout time.Duration
}

// Server serves the API.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
}

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sessions == nil {
		opts.Sessions = noSessions{}
	}
	setTimeoutDefaults(&opts)
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	s.routes()
	return s
}

// routes registers every route.
func (s *Server) routes() {
	s.handle("GET /v1/guests", s.listGuests)
	s.handle("GET /v1/guests/{id}", s.showGuest)
	s.handle("POST /v1/guests/{id}/start", s.startGuest)
	s.handle("POST /v1/guests/{id}/stop", s.stopGuest)
	s.handle("POST /v1/guests/{id}/restart", s.restartGuest)
	s.handle("POST /v1/guests/{id}/reset", s.resetGuest)
	s.handle("DELETE /v1/guests/{id}", s.removeGuest)
	s.handle("PUT /v1/guests/{id}/autostart", s.setAutostart)
	s.mux.HandleFunc("POST /v1/guests/{id}/exec", s.exec)
	if s.opts.Limits != nil {
		s.handle("GET /v1/stats", s.allStats)
		s.handle("GET /v1/guests/{id}/stats", s.guestStats)
		s.handle("PUT /v1/guests/{id}/limits", s.setLimits)
	}
	s.handle("GET /v1/images", s.listImages)
	s.mux.HandleFunc("POST /v1/images/{name}/build", s.buildImage)
	s.handle("DELETE /v1/images/{name}", s.removeImage)
	s.handle("GET /v1/users", s.listUsers)
	s.handle("POST /v1/reload", s.reload)
	s.handle("GET /v1/sessions", s.listSessions)
	s.mux.HandleFunc("GET /v1/recordings/{guest}/{file}", s.getRecording)
	s.mux.HandleFunc("POST /v1/sessions/{guest}/{n}/watch", s.watchSession)
	s.labRoutes()
	s.clusterRoutes()
	s.handle("POST /v1/web/{user}/revoke", s.revokeWeb)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errf(http.StatusNotFound, "no such API route %s %s; this vmhostd may be older than its client", r.Method, r.URL.Path))
	})
}

// handlerFunc is a handler that returns the value to answer with, or an error.
type handlerFunc func(r *http.Request) (any, error)

// handle registers a JSON route.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			err = s.hintGuest(r, err)
			s.log.Info("admin request refused", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// ServeHTTP implements http.Handler: it refuses peers that are not the admin,
// then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uid, ok := peerUID(r.Context())
	if !ok || uid != s.opts.AdminUID {
		s.log.Warn("admin request refused: peer is not root", "uid", uid, "known", ok)
		w.Header().Set("Connection", "close") // and its body is not read
		writeError(w, errf(http.StatusForbidden, "permission denied: the vmhostd admin socket is for root only; run the command as root (sudo vmhostd ...)"))
		return
	}
	if err := s.readBody(w, r); err != nil {
		s.refuseBody(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// noSessions counts no sessions.
type noSessions struct{}

func (noSessions) Sessions(string) int { return 0 }
