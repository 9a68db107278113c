package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"vmhost/config"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// testConfig has alice, bob, a teacher tina and her class's student sam.
func testConfig() *config.Config {
	return &config.Config{
		Users: map[string]config.User{"alice": {}, "bob": {}, "tina": {}, "sam": {}},
		Classes: map[string]config.Class{"net101": {Name: "net101", Teachers: []string{"tina"}, Members: []string{"sam"},
			Hosts: config.ClassHosts{{Name: "pc"}, {Name: "router"}}}},
	}
}

const testOrigin = "https://vm.example.org"

func newTestServer(t *testing.T, c *clock) *Server {
	t.Helper()
	cfg := testConfig()
	s, err := New(Options{Config: func() *config.Config { return cfg }, BaseURL: testOrigin, Secure: true, Now: c.now,
		Guests: func(owner string) []string {
			if owner == "alice" {
				return []string{"alice", "box"}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request to s's handler from origin with cookie and header.
func do(s *Server, method, path, origin string, body string, cookie *http.Cookie, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://vm.example.org"+path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.7:5555"
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// loginCookie trades a link of person for a session cookie.
func loginCookie(t *testing.T, s *Server, person string) *http.Cookie {
	t.Helper()
	link, err := s.Link(person, person, person)
	if err != nil {
		t.Fatal(err)
	}
	tok := link[strings.Index(link, "#")+1:]
	w := do(s, "POST", "/api/login", testOrigin, `{"token":"`+tok+`"}`, nil, nil)
	if w.Code != http.StatusNoContent {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("login set %d cookies", len(cs))
	}
	return cs[0]
}

func TestLinkShape(t *testing.T) {
	s := newTestServer(t, newClock())
	link, err := s.Link("alice", "alice", "box")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, testOrigin+"/login#") || len(link) != len(testOrigin+"/login#")+43 {
		t.Errorf("link %q: want %s/login#TOKEN (the token in the fragment, never sent to a server)", link, testOrigin)
	}
}

func TestLoginCookie(t *testing.T) {
	s := newTestServer(t, newClock())
	c := loginCookie(t, s, "alice")
	if c.Name != "__Host-vmhost" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v: want __Host-vmhost, HttpOnly, Secure, SameSite=Strict, Path=/", c)
	}
	if c.Expires.IsZero() || c.Expires.After(newClock().t.Add(config.DefaultWebSessionLifetime)) {
		t.Errorf("cookie expires %v: want bounded by the session lifetime", c.Expires)
	}
	w := do(s, "GET", "/api/me", "", "", c, nil)
	var me struct {
		User, CSRF, Start string
		Guests            []place
	}
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || me.User != "alice" || me.CSRF == "" {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}
	want := []place{{"alice", "alice", "alice"}, {"alice+box", "alice", "box"}}
	if len(me.Guests) != 2 || me.Guests[0] != want[0] || me.Guests[1] != want[1] {
		t.Errorf("alice's guests %+v, want %+v", me.Guests, want)
	}
}

func TestLoginRefused(t *testing.T) {
	s := newTestServer(t, newClock())
	link, _ := s.Link("alice", "alice", "alice")
	tok := link[strings.Index(link, "#")+1:]
	body := `{"token":"` + tok + `"}`
	tests := []struct {
		name, origin, body string
		want               int
	}{
		{"foreign origin", "https://evil.example", body, http.StatusForbidden},
		{"no origin", "", body, http.StatusForbidden},
		{"no token", testOrigin, `{}`, http.StatusBadRequest},
		{"wrong token", testOrigin, `{"token":"AAAA"}`, http.StatusForbidden},
		{"right token", testOrigin, body, http.StatusNoContent},
		{"used token", testOrigin, body, http.StatusForbidden},
	}
	for _, tt := range tests {
		if w := do(s, "POST", "/api/login", tt.origin, tt.body, nil, nil); w.Code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
	}
}

func TestLoginRateLimited(t *testing.T) {
	s := newTestServer(t, newClock())
	codes := map[int]int{}
	for range loginBurst + 3 {
		codes[do(s, "POST", "/api/login", testOrigin, `{"token":"x"}`, nil, nil).Code]++
	}
	if codes[http.StatusTooManyRequests] != 3 || codes[http.StatusForbidden] != loginBurst {
		t.Errorf("answers %v: want %d refusals of a bad token, then 3 rate limited", codes, loginBurst)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, newClock())
	for _, path := range []string{"/", "/login", "/api/me", "/static/app.js"} {
		h := do(s, "GET", path, "", "", nil, nil).Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestStateChangesNeedCSRF(t *testing.T) {
	s := newTestServer(t, newClock())
	c := loginCookie(t, s, "alice")
	var me struct{ CSRF string }
	json.Unmarshal(do(s, "GET", "/api/me", "", "", c, nil).Body.Bytes(), &me)
	tests := []struct {
		name, method, path, origin string
		header                     map[string]string
		want                       int
	}{
		{"logout without CSRF", "POST", "/api/logout", testOrigin, nil, http.StatusForbidden},
		{"logout with a wrong CSRF", "POST", "/api/logout", testOrigin, map[string]string{csrfHeader: "nope"}, http.StatusForbidden},
		{"logout from another origin", "POST", "/api/logout", "https://evil.example", map[string]string{csrfHeader: me.CSRF}, http.StatusForbidden},
		{"terminal without CSRF", "GET", "/api/terminal?login=alice", testOrigin, nil, http.StatusForbidden},
		{"terminal from another origin", "GET", "/api/terminal?login=alice&csrf=" + me.CSRF, "https://evil.example", nil, http.StatusForbidden},
		{"terminal without origin", "GET", "/api/terminal?login=alice&csrf=" + me.CSRF, "", nil, http.StatusForbidden},
		{"terminal in another user's guest", "GET", "/api/terminal?login=bob&csrf=" + me.CSRF, testOrigin, nil, http.StatusForbidden},
		{"sessions of another user's guest", "GET", "/api/sessions?login=bob", "", nil, http.StatusForbidden},
		{"logout", "POST", "/api/logout", testOrigin, map[string]string{csrfHeader: me.CSRF}, http.StatusNoContent},
		{"me after logout", "GET", "/api/me", "", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if w := do(s, tt.method, tt.path, tt.origin, "", c, tt.header); w.Code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
	}
}

func TestRevoke(t *testing.T) {
	s := newTestServer(t, newClock())
	c := loginCookie(t, s, "alice")
	bc := loginCookie(t, s, "bob")
	pending, _ := s.Link("alice", "alice", "alice")
	if n := s.Revoke("alice"); n != 1 {
		t.Errorf("Revoke = %d, want 1", n)
	}
	if w := do(s, "GET", "/api/me", "", "", c, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked session: %d", w.Code)
	}
	if w := do(s, "GET", "/api/me", "", "", bc, nil); w.Code != http.StatusOK {
		t.Errorf("bob's session after revoking alice: %d", w.Code)
	}
	tok := pending[strings.Index(pending, "#")+1:]
	if w := do(s, "POST", "/api/login", testOrigin, `{"token":"`+tok+`"}`, nil, nil); w.Code != http.StatusForbidden {
		t.Errorf("a link issued before revoke: %d", w.Code)
	}
}

func TestSessionExpires(t *testing.T) {
	clk := newClock()
	s := newTestServer(t, clk)
	c := loginCookie(t, s, "alice")
	clk.add(config.DefaultWebSessionLifetime)
	if w := do(s, "GET", "/api/me", "", "", c, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("session past its lifetime: %d", w.Code)
	}
}

func TestMayReach(t *testing.T) {
	cfg := testConfig()
	tests := []struct {
		person, owner, guest string
		ok                   bool
	}{
		{"alice", "alice", "alice", true},
		{"alice", "alice", "box", true},
		{"alice", "bob", "bob", false},
		{"tina", "sam", "pc", true},
		{"sam", "tina", "tina", false},
		{"bob", "sam", "pc", false},
		{"gone", "gone", "gone", false},
		{"alice", "alice", "Bad_Name", false},
	}
	for _, tt := range tests {
		if err := mayReach(cfg, tt.person, tt.owner, tt.guest); (err == nil) != tt.ok {
			t.Errorf("mayReach(%s, %s+%s) = %v, want ok %v", tt.person, tt.owner, tt.guest, err, tt.ok)
		}
	}
	s := newTestServer(t, newClock())
	got := s.places(cfg, "tina", place{})
	if len(got) != 3 || got[1] != (place{"sam+pc", "sam", "pc"}) || got[2] != (place{"sam+router", "sam", "router"}) {
		t.Errorf("tina's places %+v: want her own and her student's two hosts", got)
	}
	if got := s.places(cfg, "sam", place{Owner: "sam", Guest: "router"}); len(got) != 2 || got[0].Login != "sam+router" || got[1].Login != "sam+pc" {
		t.Errorf("sam's places %+v: want the host his link named, then the other", got)
	}
}

func TestMayWatch(t *testing.T) {
	cfg := testConfig()
	cfg.Web.Admins = []string{"bob"}
	tests := []struct {
		person, owner, guest string
		join                 bool
		role                 string // "": refused
	}{
		{"tina", "sam", "pc", false, "teacher"},
		{"tina", "sam", "pc", true, "teacher"},
		{"sam", "sam", "pc", false, ""}, // one's own sessions: attach, not watch
		{"alice", "sam", "pc", false, ""},
		{"tina", "alice", "alice", false, ""},
		{"bob", "sam", "pc", false, "admin"}, // an admin watches a student
		{"bob", "sam", "pc", true, ""},       // but does not join
		{"bob", "alice", "alice", false, ""}, // nor watches a non-student
		{"bob", "sam", "Bad_Name", false, ""},
	}
	for _, tt := range tests {
		role, err := mayWatch(cfg, tt.person, tt.owner, tt.guest, tt.join)
		if role != tt.role || (err == nil) != (tt.role != "") {
			t.Errorf("mayWatch(%s, %s+%s, join %v) = %q, %v; want %q", tt.person, tt.owner, tt.guest, tt.join, role, err, tt.role)
		}
	}
	s := newTestServer(t, newClock())
	c := loginCookie(t, s, "sam")
	w := do(s, "GET", "/api/classes", "", "", c, nil)
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("a student's classes: %d %s, want []", w.Code, w.Body)
	}
	w = do(s, "GET", "/api/watch?login=sam%2Bpc&session=1&csrf=x", testOrigin, "", c, nil)
	if w.Code != http.StatusForbidden {
		t.Errorf("a student watching without the CSRF token: %d, want 403", w.Code)
	}
}
