package sshgate

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"vmhost/guest"
	vmsession "vmhost/session"
)

// reserved answers the commands a pty session reserves when its sessions
// are kept: ":ls" lists the guest's sessions, ":attach N" attaches to one,
// ":new" starts a fresh login shell even when one is detached, ":kill N"
// hangs one up. ok is false for any other command, which runs as usual.
func (s *session) reserved(command string) (run func(), ok bool) {
	f := strings.Fields(command)
	if len(f) == 0 {
		return nil, false
	}
	switch {
	case f[0] == ":ls" && len(f) == 1:
		return s.listKept, true
	case f[0] == ":new" && len(f) == 1:
		return s.beginKept(nil, true, ""), true
	case f[0] == ":attach" && len(f) == 2:
		k, err := s.keptSession(f[1])
		if err != nil {
			return s.answer(err.Error(), 1), true
		}
		return s.attachKept(k), true
	case f[0] == ":kill" && len(f) == 2:
		k, err := s.keptSession(f[1])
		if err != nil {
			return s.answer(err.Error(), 1), true
		}
		return s.killKept(k), true
	}
	return nil, false
}

// keptSession returns the guest's session numbered arg.
func (s *session) keptSession(arg string) (*vmsession.Kept, error) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%q is not a session number; ':ls' lists them", arg)
	}
	k, err := s.conn.srv.sessions.Table.Get(s.guestID(), n)
	if err != nil {
		return nil, fmt.Errorf("no session %d in this guest; ':ls' lists them", n)
	}
	return k, nil
}

// listKept writes the guest's sessions to the client.
func (s *session) listKept() {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SESSION\tSTATE\tSINCE\tSIZE\tCOMMAND")
	for _, i := range s.conn.srv.sessions.Table.List(s.guestID()) {
		state := "detached"
		if i.Attached {
			state = "attached"
		}
		command := i.Command
		if command == "" {
			command = "(login shell)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s ago\t%dx%d\t%s\n", i.N, state, ago(time.Since(i.Since)), i.Cols, i.Rows, printableText(command, 60))
	}
	tw.Flush()
	s.reply(strings.ReplaceAll(b.String(), "\n", "\r\n"), 0)
}

// killKept returns what hangs k up and says so.
func (s *session) killKept(k *vmsession.Kept) func() {
	return func() {
		n := k.Info().N
		s.conn.audit.Info("session hung up", "session", n, "by", "user")
		k.HangUp()
		s.reply(fmt.Sprintf("vmhost: session %d hung up\r\n", n), 0)
	}
}

// answer returns what writes message to the client and ends the session
// with code.
func (s *session) answer(message string, code int) func() {
	return func() { s.reply("vmhost: "+message+"\r\n", code) }
}

// reply writes text to the client and ends the session with code.
func (s *session) reply(text string, code int) {
	defer s.end(fmt.Errorf("reserved command answered"))
	s.ch.Write([]byte(text))
	s.sendExit(guest.ExitStatus{Code: code})
	s.ch.CloseWrite()
	s.ch.Close()
}

// printableText cuts s to at most n runes and replaces what is not
// printable, for text the guest or user made.
func printableText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = append(r[:n-1], '…')
	}
	for i, c := range r {
		if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			r[i] = '?'
		}
	}
	return string(r)
}
