package config

import (
	"strings"
	"testing"
	"time"
)

func TestWeb(t *testing.T) {
	c, err := testLoader.Parse("/etc/vmhost/c.yaml", []byte("web:\n  listen: 0.0.0.0:8443\n  cert: tls/cert.pem\n  key: /k.pem\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Web.Enabled() {
		t.Error("web.listen set: not enabled")
	}
	if got := c.WebFile(c.Web.Cert); got != "/etc/vmhost/tls/cert.pem" {
		t.Errorf("WebFile(cert) = %q", got)
	}
	if got := c.WebFile(c.Web.Key); got != "/k.pem" {
		t.Errorf("WebFile(key) = %q", got)
	}
	s, tok := c.Web.Lifetimes()
	if s != DefaultWebSessionLifetime || tok != DefaultWebTokenLifetime {
		t.Errorf("Lifetimes() = %v, %v; want the defaults", s, tok)
	}
	off, err := testLoader.Parse("/c.yaml", []byte(bob))
	if err != nil || off.Web.Enabled() {
		t.Errorf("no web block: enabled %v, err %v", off.Web.Enabled(), err)
	}
	c, err = testLoader.Parse("/c.yaml", []byte("web:\n  listen: 127.0.0.1:8080\n  insecure: true\n  url: https://vm.example.org/\n  token_lifetime: 2m\n  session_lifetime: 1h\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	if s, tok := c.Web.Lifetimes(); s != time.Hour || tok != 2*time.Minute {
		t.Errorf("Lifetimes() = %v, %v; want 1h, 2m", s, tok)
	}
}

func TestWebAdmins(t *testing.T) {
	c, err := testLoader.Parse("/c.yaml", []byte("web:\n  listen: 127.0.0.1:8443\n  admins: [bob]\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		person string
		want   bool
	}{{"bob", true}, {"carol", false}, {"", false}} {
		if got := c.IsAdmin(tt.person); got != tt.want {
			t.Errorf("IsAdmin(%q) = %v, want %v", tt.person, got, tt.want)
		}
	}
	c.Users = nil // bob is no longer a user (a reload would say so first)
	if c.IsAdmin("bob") {
		t.Error("IsAdmin(bob) with no user bob = true, want false")
	}
}

func TestWebErrors(t *testing.T) {
	tests := []struct{ block, want string }{
		{"  listen: nowhere\n", `c.yaml:2: web.listen: "nowhere" is not host:port`},
		{"  listen: 0.0.0.0:0\n", `c.yaml:2: web.listen: "0.0.0.0:0" is not host:port`},
		{"  listen: :8443\n  cert: c.pem\n", `c.yaml:3: web.cert: web.cert and web.key go together`},
		{"  listen: 0.0.0.0:8080\n  insecure: true\n", `c.yaml:3: web.insecure: plain HTTP is served only on a loopback address`},
		{"  listen: 127.0.0.1:8080\n  insecure: true\n  cert: a\n  key: b\n", `c.yaml:3: web.insecure: is true with web.cert set`},
		{"  listen: :8443\n  url: ftp://x\n", `c.yaml:3: web.url: "ftp://x" is not a base URL`},
		{"  listen: :8443\n  url: https://x/?a=b\n", `c.yaml:3: web.url: "https://x/?a=b" is not a base URL`},
		{"  listen: :8443\n  url: https://x/vmhost\n", `c.yaml:3: web.url: "https://x/vmhost" is not a base URL`},
		{"  listen: :8443\n  token_lifetime: 2h\n", `c.yaml:3: web.token_lifetime: 2h0m0s is more than 1h0m0s`},
		{"  listen: :8443\n  session_lifetime: 1000h\n", `c.yaml:3: web.session_lifetime: 1000h0m0s is more than 720h0m0s`},
		{"  listen: :8443\n  port: 1\n", `c.yaml:3: unknown key "port" in web`},
		{"  listen: :8443\n  admins: [bob, carol]\n", `c.yaml:3: web.admins[1]: no user named "carol"`},
		{"  listen: :8443\n  admins:\n    - bob\n    - bob\n", `c.yaml:5: web.admins[1]: "bob" is named twice`},
	}
	for _, tt := range tests {
		_, err := testLoader.Parse("/c.yaml", []byte("web:\n"+tt.block+bob))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(web:\n%s) = %v, want an error with %q", tt.block, err, tt.want)
		}
	}
}
