// Package web is vmhost's browser terminal: an HTTPS server where a person
// who asked for a link over SSH (`ssh alice@host :web`) gets a terminal
// (xterm.js over a WebSocket) in the guests they may reach over SSH,
// through the same kept sessions as SSH, so that a session started in the
// browser is reattached with `ssh -t` and the other way round.
//
// Login has no password: the link holds a one-time token (256 random bits,
// kept hashed, valid for minutes, used once) that the page trades for a
// browser session cookie (HttpOnly, Secure over HTTPS, SameSite=Strict,
// bounded lifetime, revoked by the admin). Every state change carries the
// session's CSRF token, every WebSocket's Origin is checked, the login
// endpoint is rate limited, and every answer carries a strict Content
// Security Policy.
package web
