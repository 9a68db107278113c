package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// contentSecurityPolicy allows the page's own scripts and WebSocket, no
// inline script, no framing. Styles may be inline: xterm.js draws its
// colours and cursor with style elements it makes (a nonce does not reach
// them); a style cannot run code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; font-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// secure wraps h with the security headers every answer carries.
func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if s.opts.Secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether r comes from a page of this server: its
// Origin header is the server's own origin (that of the base URL). A
// request without one is refused: browsers send it on every WebSocket and
// every POST.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o != "" && strings.EqualFold(o, s.origin)
}

// csrfHeader carries the CSRF token of a state change; csrfParam carries
// it on a WebSocket's URL.
const (
	csrfHeader = "X-CSRF-Token"
	csrfParam  = "csrf"
)

// validCSRF reports whether token is b's CSRF token.
func validCSRF(b *browser, token string) bool { return b != nil && equalSecret(token, b.csrf) }

// sourceOf is the address r came from.
func sourceOf(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
