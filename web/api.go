package web

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"vmhost/sshgate"
)

// maxBody bounds a request's body.
const maxBody = 4 << 10

// cookieName returns the name of the session cookie: with the __Host-
// prefix over HTTPS, which browsers keep to this host, path / and Secure.
func (s *Server) cookieName() string {
	if s.opts.Secure {
		return "__Host-vmhost"
	}
	return "vmhost"
}

// Handler returns the server's routes, with the security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page("index.html"))
	mux.HandleFunc("GET /login", s.page("login.html"))
	mux.HandleFunc("GET /static/{file}", s.static)
	mux.HandleFunc("POST /api/login", s.login)
	mux.HandleFunc("POST /api/logout", s.logout)
	mux.HandleFunc("GET /api/me", s.me)
	mux.HandleFunc("GET /api/sessions", s.sessions)
	mux.HandleFunc("GET /api/terminal", s.terminal)
	mux.HandleFunc("GET /dashboard", s.page("dashboard.html"))
	mux.HandleFunc("GET /api/classes", s.classes)
	mux.HandleFunc("GET /api/watch", s.watch)
	mux.HandleFunc("POST /api/classes/{class}/check", s.labCheck)
	mux.HandleFunc("POST /api/classes/{class}/reset", s.labReset)
	mux.HandleFunc("GET /admin", s.adminPage)
	mux.HandleFunc("GET /api/admin/guests", s.adminGuests)
	return s.secure(mux)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail answers an error message with status.
func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// login answers POST /api/login {"token": ...}: it trades a link's token
// for a browser session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	source := sourceOf(r)
	if !s.limit.allow(source) {
		s.audit.Info("web login", "outcome", "refused", "reason", "rate limited", "remote", source.String())
		w.Header().Set("Retry-After", "10")
		fail(w, http.StatusTooManyRequests, "too many tries; wait a little")
		return
	}
	if !s.sameOrigin(r) {
		s.audit.Info("web login", "outcome", "refused", "reason", "foreign origin", "remote", source.String())
		fail(w, http.StatusForbidden, "this request did not come from this site")
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(headerTimeout)) // a slow body holds nothing long
	var in struct{ Token string }
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in)
	rc.SetReadDeadline(time.Time{}) // the connection may carry more requests
	if err != nil || in.Token == "" {
		fail(w, http.StatusBadRequest, "no token")
		return
	}
	l, ok := s.links.redeem(in.Token)
	if !ok {
		s.audit.Info("web login", "outcome", "refused", "reason", "unknown, used or expired link", "remote", source.String())
		fail(w, http.StatusForbidden, "this link is used or expired; ask for a new one with: ssh USER@HOST :web")
		return
	}
	id, b, err := s.browsers.create(l)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: id, Path: "/", HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode, Expires: b.expires})
	s.audit.Info("web login", "outcome", "ok", "user", l.person, "owner", l.owner, "guest", l.guest, "remote", source.String())
	w.WriteHeader(http.StatusNoContent)
}

// browserOf returns the browser session r's cookie names, or nil.
func (s *Server) browserOf(r *http.Request) (*browser, string) {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return nil, ""
	}
	b, ok := s.browsers.lookup(c.Value)
	if !ok {
		return nil, ""
	}
	return b, c.Value
}

// errNoLogin is the answer to a request without a browser session.
const errNoLogin = "not logged in, or the session expired; get a link with: ssh USER@HOST :web"

// logout answers POST /api/logout: it ends the browser session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	b, id := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	if !s.sameOrigin(r) || !validCSRF(b, r.Header.Get(csrfHeader)) {
		s.audit.Info("web request refused", "user", b.person, "path", r.URL.Path, "reason", "missing or wrong CSRF token or origin")
		fail(w, http.StatusForbidden, "missing or wrong CSRF token")
		return
	}
	s.browsers.remove(id)
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	s.audit.Info("web logout", "user", b.person)
	w.WriteHeader(http.StatusNoContent)
}

// me answers GET /api/me: who is logged in, the CSRF token, the guests
// they may reach, where the terminal starts, the classes they teach and
// whether they are an admin. Another site cannot read it: the cookie is
// SameSite=Strict and no CORS header is sent.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	c := s.opts.Config()
	writeJSON(w, http.StatusOK, map[string]any{
		"user": b.person, "csrf": b.csrf, "guests": s.places(c, b.person, place{Owner: b.owner, Guest: b.guest}),
		"start": loginOf(b.owner, b.guest), "expires": b.expires.UTC().Format(time.RFC3339),
		"teaches": append([]string{}, c.TeacherOf(b.person)...), "admin": c.IsAdmin(b.person),
	})
}

// sessionInfo is a kept session as the page lists it.
type sessionInfo struct {
	N        int       `json:"n"`
	Attached bool      `json:"attached"`
	Since    time.Time `json:"since"`
	Command  string    `json:"command"`
	Cols     int       `json:"cols"`
	Rows     int       `json:"rows"`
}

// sessions answers GET /api/sessions?login=OWNER[+GUEST]: the guest's kept
// sessions, as ':ls' lists them, those a daemon before this one kept taken
// over first.
func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	req, err := s.request(b, r)
	if err != nil {
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	terms := s.terms()
	if terms == nil {
		fail(w, http.StatusServiceUnavailable, "starting up")
		return
	}
	if _, err := terms.AdoptTerminals(r.Context(), req); err != nil {
		s.log.Info("taking over sessions kept across a restart", "user", b.person, "err", err)
	}
	list, err := terms.ListTerminals(req)
	if err != nil {
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	out := []sessionInfo{}
	for _, i := range list {
		out = append(out, sessionInfo{i.N, i.Attached, i.Since, i.Command, i.Cols, i.Rows})
	}
	writeJSON(w, http.StatusOK, out)
}

// request returns the terminal request of b for the guest r's login
// parameter names, or why b's person may not reach it.
func (s *Server) request(b *browser, r *http.Request) (sshgate.TerminalRequest, error) {
	owner, guest, err := sshgate.ParseLogin(r.URL.Query().Get("login"))
	if err != nil {
		return sshgate.TerminalRequest{}, err
	}
	if err := mayReach(s.opts.Config(), b.person, owner, guest); err != nil {
		return sshgate.TerminalRequest{}, err
	}
	return sshgate.TerminalRequest{Person: b.person, Owner: owner, Guest: guest, Via: "web",
		Remote: r.RemoteAddr, Term: "xterm-256color", Rows: 24, Cols: 80}, nil
}
