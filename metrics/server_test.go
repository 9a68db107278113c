package metrics

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeToken writes a token file and returns its path.
func writeToken(t *testing.T, token string) string {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	h := startTestHost(t, Settings{TokenFile: writeToken(t, token)})
	tests := []struct {
		header string
		want   int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong-token-0123456789", http.StatusUnauthorized},
		{"Bearer " + token + "x", http.StatusUnauthorized},
		{"Basic " + token, http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer " + token, http.StatusOK},
		{"bearer " + token, http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", h.url, nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET with Authorization %q: %d, want %d", tt.header, resp.StatusCode, tt.want)
		}
	}
	scrape(t, h.url, token)
}

// TestApply reloads: a new token applies at once, a new address moves the
// endpoint, a bad token file keeps what is in use, and an empty address
// stops serving.
func TestApply(t *testing.T) {
	first := writeToken(t, "first-token-0123456789")
	h := startTestHost(t, Settings{TokenFile: first})
	scrape(t, h.url, "first-token-0123456789")
	second := writeToken(t, "second-token-0123456789")
	addr := freeAddr(t)
	if err := h.srv.Apply(Settings{Listen: addr, TokenFile: second}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(h.url, "", ""); err == nil {
		t.Errorf("the old address still answers")
	}
	url := "http://" + addr + "/metrics"
	scrape(t, url, "second-token-0123456789")
	if err := h.srv.Apply(Settings{Listen: addr, TokenFile: writeToken(t, "short")}); err == nil || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Errorf("Apply with a short token = %v, want an error", err)
	}
	if err := h.srv.Apply(Settings{Listen: addr, TokenFile: "/nonexistent/token"}); err == nil {
		t.Errorf("Apply with a missing token file: no error")
	}
	scrape(t, url, "second-token-0123456789")
	if err := h.srv.Apply(Settings{}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(url, "", ""); err == nil {
		t.Errorf("metrics still served with no listen address")
	}
}

func TestReadToken(t *testing.T) {
	tests := []struct{ content, want string }{
		{"abcdefghijklmnopq\n", ""},
		{"  abcdefghijklmnopq  \n", ""},
		{"abcdefgh ijklmnopq\n", "no space"},
		{"short\n", "at least 16"},
		{strings.Repeat("a", maxTokenFile+1), "longer than"},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "t")
		os.WriteFile(p, []byte(tt.content), 0o600)
		tok, err := ReadToken(p)
		switch {
		case tt.want == "" && (err != nil || string(tok) != "abcdefghijklmnopq"):
			t.Errorf("ReadToken(%q) = %q, %v; want abcdefghijklmnopq", tt.content, tok, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ReadToken(%q) = %v, want an error with %q", tt.content, err, tt.want)
		}
	}
}
