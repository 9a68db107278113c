package sshgate

import (
	"strings"
)

// WebLinks makes the links of the browser terminal: `ssh alice@host :web`
// prints one.
type WebLinks interface {
	// Link returns a one-time link that opens a browser session for
	// person, starting in owner's guest (as the login names it). The
	// link holds a secret: it is shown to the person, never logged.
	Link(person, owner, guest string) (string, error)
}

// webCommand answers ":web", with or without a terminal: a link that opens
// the browser terminal for the person logged in. ok is false for any
// other command.
func (s *session) webCommand(command string) (run func(), ok bool) {
	if strings.TrimSpace(command) != ":web" {
		return nil, false
	}
	return s.webLink, true
}

// webLink writes the link, or why there is none.
func (s *session) webLink() {
	s.mu.Lock()
	eol := "\n"
	if s.tty != nil {
		eol = "\r\n"
	}
	s.mu.Unlock()
	audit := s.conn.audit.With("kind", "web link")
	links := s.conn.srv.web
	switch {
	case links == nil:
		s.reply("vmhost: this host has no browser terminal (web.listen is not set)"+eol, 1)
		return
	case s.conn.grant.NoPTY:
		audit.Info("web link", "outcome", "refused", "reason", "the key does not allow a terminal (no-pty)")
		s.reply("vmhost: this key does not allow a terminal (no-pty), so no browser terminal either"+eol, 1)
		return
	}
	link, err := links.Link(s.person(), s.conn.owner, s.conn.guest)
	if err != nil {
		audit.Info("web link", "outcome", "refused", "err", err.Error())
		s.reply("vmhost: "+err.Error()+eol, 1)
		return
	}
	audit.Info("web link", "outcome", "issued")
	s.reply("Open this link in your browser; it works once, for a few minutes, for you alone:"+eol+eol+"  "+link+eol+eol, 0)
}
