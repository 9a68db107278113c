package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"time"
)

// Web is the browser terminal: an HTTPS (or, on a loopback address, plain
// HTTP) listener where a person who asked for a link over SSH (`ssh
// alice@host :web`) gets a terminal in their guests.
type Web struct {
	// Listen is host:port of the web listener; empty: no web terminal.
	Listen string `yaml:"listen"`
	// Cert and Key are the PEM certificate chain and key to serve HTTPS
	// with; both empty: a self-signed certificate made at first start and
	// kept under data_dir.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Insecure serves plain HTTP, for a reverse proxy in front; only on a
	// loopback address.
	Insecure bool `yaml:"insecure"`
	// URL is the public base URL the printed links start with (behind a
	// reverse proxy); empty: https://HOST:PORT of the listener.
	URL string `yaml:"url"`
	// SessionLifetime bounds a browser session; DefaultWebSessionLifetime
	// when left out.
	SessionLifetime Duration `yaml:"session_lifetime"`
	// TokenLifetime is how long a printed link may be used;
	// DefaultWebTokenLifetime when left out.
	TokenLifetime Duration `yaml:"token_lifetime"`
	// Admins are users who see every guest with its usage at /admin and
	// every class's dashboard, with its check and reset; none when left
	// out.
	Admins []string `yaml:"admins"`
}

// IsAdmin reports whether person is an admin of the web terminal: named
// in web.admins and a user of the configuration.
func (c *Config) IsAdmin(person string) bool {
	if _, ok := c.Users[person]; !ok {
		return false
	}
	return slices.Contains(c.Web.Admins, person)
}

// Defaults of the web block.
const (
	DefaultWebSessionLifetime = 12 * time.Hour
	DefaultWebTokenLifetime   = 5 * time.Minute
	// MaxWebTokenLifetime bounds web.token_lifetime: a link is for now.
	MaxWebTokenLifetime = time.Hour
	// MaxWebSessionLifetime bounds web.session_lifetime.
	MaxWebSessionLifetime = 30 * 24 * time.Hour
)

// Enabled reports whether the web terminal is on.
func (w Web) Enabled() bool { return w.Listen != "" }

// Lifetimes returns how long a browser session and a link last, the
// defaults for those left out.
func (w Web) Lifetimes() (session, token time.Duration) {
	session, token = time.Duration(w.SessionLifetime), time.Duration(w.TokenLifetime)
	if session == 0 {
		session = DefaultWebSessionLifetime
	}
	if token == 0 {
		token = DefaultWebTokenLifetime
	}
	return session, token
}

// WebFile returns p, a web.cert or web.key, absolute against the config
// file's directory.
func (c *Config) WebFile(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// checkWeb wants web admins who are users, and with web.listen set:
// web.listen host:port, cert and key both or neither, plain HTTP only on a
// loopback address, an http(s) web.url and bounded lifetimes.
func checkWeb(v *validator) {
	w := v.c.Web
	checkWebAdmins(v, w.Admins)
	if !w.Enabled() {
		return
	}
	host, _, err := net.SplitHostPort(w.Listen)
	if _, perr := listenPort(w.Listen); err != nil || perr != nil {
		v.addf("web.listen", "%q is not host:port with a port from 1 to 65535; write it like 0.0.0.0:8443, or leave it out for no web terminal", w.Listen)
	}
	if (w.Cert == "") != (w.Key == "") {
		v.addf("web.cert", "web.cert and web.key go together; write both, or neither for a self-signed certificate")
	}
	if w.Insecure && err == nil && !isLoopback(host) {
		v.addf("web.insecure", "plain HTTP is served only on a loopback address (127.0.0.1:8080, [::1]:8080), behind a reverse proxy that serves HTTPS; %q is not one", w.Listen)
	}
	if w.Insecure && w.Cert != "" {
		v.addf("web.insecure", "is true with web.cert set; write one of them")
	}
	checkWebURL(v, w.URL)
	if d := time.Duration(w.TokenLifetime); d > MaxWebTokenLifetime {
		v.addf("web.token_lifetime", "%s is more than %s; a link is for now: write 5m", d, MaxWebTokenLifetime)
	}
	if d := time.Duration(w.SessionLifetime); d > MaxWebSessionLifetime {
		v.addf("web.session_lifetime", "%s is more than %s; write 12h", d, MaxWebSessionLifetime)
	}
}

// checkWebAdmins wants every web admin a user, named once.
func checkWebAdmins(v *validator, admins []string) {
	for i, a := range admins {
		if _, ok := v.c.Users[a]; !ok {
			v.addf(fmt.Sprintf("web.admins[%d]", i), "no user named %q; an admin is a user of users:", a)
		}
		if slices.Index(admins, a) < i {
			v.addf(fmt.Sprintf("web.admins[%d]", i), "%q is named twice; name each admin once", a)
		}
	}
}

// checkWebURL wants web.url, if written, an absolute http or https URL
// with no path (the terminal is served at the root), query or fragment.
func checkWebURL(v *validator, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.addf("web.url", "%q is not a base URL; write it like https://vmhost.example.org", s)
	}
}

// isLoopback reports whether host is a loopback address or localhost.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
