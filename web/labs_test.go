package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// fakeLabs records the operations asked of it.
type fakeLabs struct {
	mu  sync.Mutex
	ops []string // "check CLASS by ACTOR", "reset CLASS STUDENT by ACTOR"
}

func (f *fakeLabs) LastChecks(class string) map[string]LabResult {
	return map[string]LabResult{"sam+pc": {Student: "sam", Login: "sam+pc", Result: "fail", Fail: []string{"no route"}}}
}

func (f *fakeLabs) Check(_ context.Context, class, actor string) (LabReport, error) {
	f.record("check " + class + " by " + actor)
	return LabReport{Summary: "check " + class + ": 0/1 pass", Results: []LabResult{{Student: "sam", Login: "sam+pc", Result: "fail", Fail: []string{"no route"}}}}, nil
}

func (f *fakeLabs) Reset(_ context.Context, class, student, actor string) (LabReport, error) {
	f.record("reset " + class + " " + student + " by " + actor)
	return LabReport{Summary: "reset " + class + ": 1/1 ok"}, nil
}

func (f *fakeLabs) record(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
}

// newLabServer returns a server of testConfig with admin ada, the fake
// labs and one guest's usage.
func newLabServer(t *testing.T) (*Server, *fakeLabs) {
	t.Helper()
	cfg := testConfig()
	cfg.Users["ada"] = config.User{}
	cfg.Web.Admins = []string{"ada"}
	fl := &fakeLabs{}
	s, err := New(Options{Config: func() *config.Config { return cfg }, BaseURL: testOrigin, Secure: true, Now: newClock().now,
		Labs: fl, Usage: func() []GuestUsage {
			return []GuestUsage{{Owner: "sam", Guest: "pc", Login: "sam+pc", State: "running", MemoryBytes: 1 << 20}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s, fl
}

// csrfOf returns the CSRF token of the browser session of cookie.
func csrfOf(t *testing.T, s *Server, cookie *http.Cookie) string {
	t.Helper()
	w := do(s, "GET", "/api/me", "", "", cookie, nil)
	var me struct {
		CSRF  string
		Admin bool
	}
	if err := json.NewDecoder(w.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	return me.CSRF
}

func TestLabOperations(t *testing.T) {
	s, fl := newLabServer(t)
	cookies := map[string]*http.Cookie{}
	csrf := map[string]string{}
	for _, p := range []string{"tina", "ada", "sam", "alice"} {
		cookies[p] = loginCookie(t, s, p)
		csrf[p] = csrfOf(t, s, cookies[p])
	}
	tests := []struct {
		name, person, path, body, origin, csrf string
		want                                   int
		op                                     string // recorded by the fake, when it ran
	}{
		{"a teacher checks", "tina", "/api/classes/net101/check", "", testOrigin, "", http.StatusOK, "check net101 by tina"},
		{"an admin checks", "ada", "/api/classes/net101/check", "", testOrigin, "", http.StatusOK, "check net101 by ada"},
		{"a student may not", "sam", "/api/classes/net101/check", "", testOrigin, "", http.StatusForbidden, ""},
		{"another user may not", "alice", "/api/classes/net101/check", "", testOrigin, "", http.StatusForbidden, ""},
		{"no such class", "ada", "/api/classes/nope/check", "", testOrigin, "", http.StatusForbidden, ""},
		{"check without the CSRF token", "tina", "/api/classes/net101/check", "", testOrigin, "-", http.StatusForbidden, ""},
		{"check with a wrong CSRF token", "tina", "/api/classes/net101/check", "", testOrigin, "x", http.StatusForbidden, ""},
		{"check from another site", "tina", "/api/classes/net101/check", "", "https://evil.example", "", http.StatusForbidden, ""},
		{"a confirmed reset", "tina", "/api/classes/net101/reset", `{"student":"sam","confirm":"sam"}`, testOrigin, "", http.StatusOK, "reset net101 sam by tina"},
		{"an admin resets", "ada", "/api/classes/net101/reset", `{"student":"sam","confirm":"sam"}`, testOrigin, "", http.StatusOK, "reset net101 sam by ada"},
		{"a reset not confirmed", "tina", "/api/classes/net101/reset", `{"student":"sam"}`, testOrigin, "", http.StatusBadRequest, ""},
		{"a reset confirmed wrong", "tina", "/api/classes/net101/reset", `{"student":"sam","confirm":"sa"}`, testOrigin, "", http.StatusBadRequest, ""},
		{"a reset of no student of the class", "tina", "/api/classes/net101/reset", `{"student":"alice","confirm":"alice"}`, testOrigin, "", http.StatusBadRequest, ""},
		{"a reset without the CSRF token", "tina", "/api/classes/net101/reset", `{"student":"sam","confirm":"sam"}`, testOrigin, "-", http.StatusForbidden, ""},
		{"a student resets", "sam", "/api/classes/net101/reset", `{"student":"sam","confirm":"sam"}`, testOrigin, "", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		token := csrf[tt.person]
		switch tt.csrf {
		case "-":
			token = ""
		case "x":
			token += "x"
		}
		fl.ops = nil
		w := do(s, "POST", tt.path, tt.origin, tt.body, cookies[tt.person], map[string]string{csrfHeader: token})
		if w.Code != tt.want {
			t.Errorf("%s: POST %s as %s = %d %s, want %d", tt.name, tt.path, tt.person, w.Code, w.Body, tt.want)
		}
		var want []string
		if tt.op != "" {
			want = []string{tt.op}
		}
		if diff := cmp.Diff(want, fl.ops); diff != "" {
			t.Errorf("%s: operations run (-want +got):\n%s", tt.name, diff)
		}
	}
	if w := do(s, "POST", "/api/classes/net101/check", testOrigin, "", nil, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("check without a session = %d, want 401", w.Code)
	}
}

func TestClassesShowChecks(t *testing.T) {
	s, _ := newLabServer(t)
	tests := []struct {
		person  string
		classes []string
		teaches bool
	}{
		{"tina", []string{"net101"}, true},
		{"ada", []string{"net101"}, false},
		{"sam", nil, false},
	}
	for _, tt := range tests {
		w := do(s, "GET", "/api/classes", "", "", loginCookie(t, s, tt.person), nil)
		var got []classView
		if err := json.NewDecoder(w.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Class)
			if c.Teaches != tt.teaches {
				t.Errorf("%s's class %s: teaches %v, want %v", tt.person, c.Class, c.Teaches, tt.teaches)
			}
			i := slices.IndexFunc(c.Students, func(r studentRow) bool { return r.Login == "sam+pc" })
			if i < 0 || c.Students[i].Check == nil || c.Students[i].Check.Result != "fail" {
				t.Errorf("%s's dashboard: sam+pc shows no failed last check: %+v", tt.person, c.Students)
			}
		}
		if !slices.Equal(names, tt.classes) {
			t.Errorf("%s's dashboard shows classes %v, want %v", tt.person, names, tt.classes)
		}
	}
}

func TestAdminOnly(t *testing.T) {
	s, _ := newLabServer(t)
	for _, tt := range []struct {
		person, path string
		want         int
	}{
		{"ada", "/api/admin/guests", http.StatusOK},
		{"tina", "/api/admin/guests", http.StatusForbidden},
		{"sam", "/api/admin/guests", http.StatusForbidden},
		{"ada", "/admin", http.StatusOK},
		{"tina", "/admin", http.StatusForbidden},
		{"", "/api/admin/guests", http.StatusUnauthorized},
	} {
		var cookie *http.Cookie
		if tt.person != "" {
			cookie = loginCookie(t, s, tt.person)
		}
		w := do(s, "GET", tt.path, "", "", cookie, nil)
		if w.Code != tt.want {
			t.Errorf("GET %s as %q = %d, want %d", tt.path, tt.person, w.Code, tt.want)
		}
		if tt.path == "/api/admin/guests" && tt.want == http.StatusOK {
			var got []GuestUsage
			json.NewDecoder(w.Body).Decode(&got)
			want := []GuestUsage{{Owner: "sam", Guest: "pc", Login: "sam+pc", State: "running", MemoryBytes: 1 << 20}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the admin's guests (-want +got):\n%s", diff)
			}
		}
	}
}
