package sshgate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"vmhost/guest"
	"vmhost/labs"
)

// Labs runs the reserved commands of classes in the daemon, never in a
// guest: a teacher's ":lab ..." and a student's ":check". *labs.Shell
// implements it.
type Labs interface {
	// Lab runs ":lab ARGS" for user and returns its exit code; it
	// refuses classes user does not teach.
	Lab(ctx context.Context, user string, args []string, io labs.IO) int
	// Check runs the check of student's class in their own guests.
	Check(ctx context.Context, student string, io labs.IO) int
}

// labCommand answers ":lab ..." and ":check", with a terminal or without
// (so that ssh tina@host ':lab status net101 --json' prints JSON); ok is
// false for any other command. ":lab sessions" is left to the session
// commands.
func (s *session) labCommand(command string) (run func(), ok bool) {
	if s.conn.srv.labs == nil {
		return nil, false
	}
	f, err := splitWords(command)
	if len(f) == 0 || (f[0] != ":lab" && f[0] != ":check") || (len(f) > 1 && f[0] == ":lab" && f[1] == "sessions") {
		return nil, false
	}
	who := s.conn.grant.Actor
	if who == "" {
		who = s.conn.owner
	}
	audit := s.conn.audit.With("kind", "lab", "command", printableText(command, 200), "by", who)
	switch {
	case err != nil:
		return s.labAnswer(audit, err), true
	case s.conn.grant.FromGuest:
		return s.labAnswer(audit, errors.New(f[0]+" needs a key of the configuration; a key from the guest's authorized_keys reaches the guest only")), true
	case f[0] == ":check" && len(f) > 1:
		return s.labAnswer(audit, errors.New(":check takes no arguments; it checks your own guests")), true
	case f[0] == ":check" && s.conn.checkLogin() != nil: // outside the class's hours, as a login would be
		return s.labAnswer(audit, s.conn.checkLogin()), true
	case f[0] == ":check":
		return s.labRun(audit, func(ctx context.Context, io labs.IO) int { return s.conn.srv.labs.Check(ctx, s.conn.owner, io) }), true
	}
	return s.labRun(audit, func(ctx context.Context, io labs.IO) int { return s.conn.srv.labs.Lab(ctx, who, f[1:], io) }), true
}

// labAnswer returns what tells the client err and ends the session.
func (s *session) labAnswer(audit interface{ Info(string, ...any) }, err error) func() {
	return func() {
		audit.Info("session", "outcome", "refused", "reason", err.Error())
		s.labEnd(fmt.Sprintf("vmhost: %v\n", err), 1)
	}
}

// labRun returns what runs fn with the session's input and output, then
// ends the session with fn's exit code.
func (s *session) labRun(audit interface{ Info(string, ...any) }, fn func(context.Context, labs.IO) int) func() {
	return func() {
		s.mu.Lock()
		tty := s.tty != nil
		s.mu.Unlock()
		io := labs.IO{In: s.ch, Out: s.ch, Err: s.ch.Stderr(), TTY: tty}
		if tty {
			io.Out = crlfWriter{s.ch}
			io.Err = io.Out
		}
		audit.Info("session", "outcome", "started")
		code := fn(s.ctx, io)
		audit.Info("session", "outcome", "ended", "code", code)
		s.labEnd("", code)
	}
}

// labEnd writes text to the client's error output and ends the session
// with code.
func (s *session) labEnd(text string, code int) {
	defer s.end(errors.New("lab command answered"))
	if text != "" {
		s.mu.Lock()
		tty := s.tty != nil
		s.mu.Unlock()
		if tty {
			crlfWriter{s.ch}.Write([]byte(text))
		} else {
			s.ch.Stderr().Write([]byte(text))
		}
	}
	s.sendExit(guest.ExitStatus{Code: code})
	s.ch.CloseWrite()
	s.ch.Close()
}

// splitWords splits a command line into words as a shell would for the
// simple cases: blanks separate words, '...' and "..." quote (no escapes
// inside single quotes, \" and \\ inside double quotes).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\'' || c == '"':
			end := closingQuote(s, i)
			if end < 0 {
				return words, fmt.Errorf("unterminated %c quote in the command", c)
			}
			cur.WriteString(unquote(s[i+1:end], c))
			i, inWord = end, true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// closingQuote returns the index of the quote that closes the one at i.
func closingQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == q:
			return j
		case q == '"' && s[j] == '\\' && j+1 < len(s):
			j++
		}
	}
	return -1
}

// unquote removes the escapes of a double-quoted word.
func unquote(s string, q byte) string {
	if q == '\'' {
		return s
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
}
