package admin

import (
	"context"
	"net/http"
	"net/url"
)

// WebSessions are the browser terminal's sessions.
type WebSessions interface {
	// Revoke ends every browser session of user, their open terminals
	// (the kept sessions go on) and their unused links, and returns how
	// many browser sessions ended.
	Revoke(user string) int
}

// WebRevoked answers POST /v1/web/{user}/revoke.
type WebRevoked struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

// revokeWeb answers POST /v1/web/{user}/revoke.
func (s *Server) revokeWeb(r *http.Request) (any, error) {
	if s.opts.Web == nil {
		return nil, errf(http.StatusNotFound, "this vmhostd has no browser terminal (web.listen is not set)")
	}
	user := r.PathValue("user")
	n := s.opts.Web.Revoke(user)
	s.log.Info("admin revoked browser sessions", "audit", true, "user", user, "sessions", n)
	return WebRevoked{User: user, Sessions: n}, nil
}

// RevokeWeb ends every browser session of user.
func (c *Client) RevokeWeb(ctx context.Context, user string) (WebRevoked, error) {
	var out WebRevoked
	return out, c.do(ctx, http.MethodPost, "/v1/web/"+url.PathEscape(user)+"/revoke", nil, &out)
}
