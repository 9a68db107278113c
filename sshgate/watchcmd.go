package sshgate

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"vmhost/config"
	"vmhost/guest"
	vmsession "vmhost/session"
	"vmhost/session/asciicast"
)

// Teaching says whose sessions a person may watch, join and replay over
// SSH: the classes of the configuration, whose teachers may do so for
// their students. *config.Config implements it.
type Teaching interface {
	// Teaches reports whether person teaches the class of the student
	// owner.
	Teaches(person, owner string) bool
	// TeacherOf lists the classes person teaches.
	TeacherOf(person string) []string
	// ClassGuests lists the guests of a class's students.
	ClassGuests(class string) []config.StudentGuest
}

// leaveKey ends watching or joining: Ctrl-], as in the admin CLI and
// telnet.
const leaveKey = 0x1d

// teacherCommand answers the commands a teacher types on a terminal:
// ":watch STUDENT[+HOST] [N]" and ":join ..." show a student's session,
// ":lab sessions CLASS" lists a class's sessions and recordings and ":play
// ID" replays one. ok is false for any other command.
func (s *session) teacherCommand(command string) (run func(), ok bool) {
	f := strings.Fields(command)
	switch {
	case len(f) == 0:
		return nil, false
	case (f[0] == ":watch" || f[0] == ":join") && (len(f) == 2 || len(f) == 3):
		return s.checkTeacher(func() func() { return s.watchCmd(f[1:], f[0] == ":join") }), true
	case f[0] == ":lab" && len(f) == 3 && f[1] == "sessions":
		return s.checkTeacher(func() func() { return s.labSessions(f[2]) }), true
	case f[0] == ":play" && (len(f) == 2 || (len(f) == 4 && f[2] == "--speed")):
		return s.checkTeacher(func() func() { return s.playCmd(f[1:]) }), true
	}
	return nil, false
}

// checkTeacher returns what run returns when the session may run a
// teacher's command: a terminal, and classes to teach.
func (s *session) checkTeacher(run func() func()) func() {
	s.mu.Lock()
	tty := s.tty != nil
	s.mu.Unlock()
	t := s.teaching()
	switch {
	case t == nil || len(t.TeacherOf(s.person())) == 0:
		return s.answer("only a class's teachers may watch, join or replay sessions", 1)
	case !tty:
		return s.answer("this command needs a terminal; run it with ssh -t", 1)
	}
	return run()
}

// teaching returns who may watch whom, or nil.
func (s *session) teaching() Teaching {
	if s.conn.srv.sessions == nil {
		return nil
	}
	return s.conn.srv.sessions.Teaching
}

// person is who typed the command: the teacher whose key logged in, or
// the login's owner.
func (s *session) person() string {
	if a := s.conn.grant.Actor; a != "" {
		return a
	}
	return s.conn.owner
}

// studentSession finds the session args name: a login (STUDENT or
// STUDENT+HOST) and a session number, or the guest's newest session.
func (s *session) studentSession(args []string) (string, *vmsession.Kept, error) {
	owner, name, err := ParseLogin(args[0])
	if err != nil {
		return "", nil, err
	}
	if !s.teaching().Teaches(s.person(), owner) {
		return "", nil, fmt.Errorf("%s is not a student of a class you teach", owner)
	}
	name = s.conn.srv.loginGuest(owner, name)
	id := guest.GuestID(owner, name)
	table := s.conn.srv.sessions.Table
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			return "", nil, fmt.Errorf("%q is not a session number; ':lab sessions CLASS' lists them", args[1])
		}
		k, err := table.Get(id, n)
		if err != nil {
			return "", nil, fmt.Errorf("%s has no session %d; ':lab sessions CLASS' lists them", id, n)
		}
		return id, k, nil
	}
	list := table.List(id)
	if len(list) == 0 {
		return "", nil, fmt.Errorf("%s has no session now", id)
	}
	newest := slices.MaxFunc(list, func(a, b vmsession.Info) int { return a.Started.Compare(b.Started) })
	k, err := table.Get(id, newest.N)
	if err != nil {
		return "", nil, fmt.Errorf("%s's session %d has just ended", id, newest.N)
	}
	return id, k, nil
}

// watchCmd returns what shows the client the session args name, and with
// join sends the client's keys to it, until the client presses Ctrl-],
// goes away or the session ends. The session's user is told.
func (s *session) watchCmd(args []string, join bool) func() {
	id, k, err := s.studentSession(args)
	if err != nil {
		return s.answer(err.Error(), 1)
	}
	return func() {
		n := k.Info().N
		who := s.person() + " (teacher)"
		w, err := k.Watch(s.ch, who, join)
		if err != nil {
			s.reply(fmt.Sprintf("vmhost: session %d of %s: %v\r\n", n, id, err), 1)
			return
		}
		verb := map[bool]string{false: "session watched", true: "session joined"}[join]
		s.conn.audit.Info(verb, "target", id, "session", n, "by", s.person())
		s.conn.goSafe("watcher input", func() { s.watchInput(w) })
		<-w.Done()
		s.conn.audit.Info(verb+" no more", "target", id, "session", n, "by", s.person())
		s.reply(fmt.Sprintf("\r\nvmhost: left session %d of %s\r\n", n, id), 0)
	}
}

// watchInput reads the client's keys until Ctrl-] or the client goes,
// then stops w; a joined watcher's other keys go to the session.
func (s *session) watchInput(w *vmsession.Watcher) {
	defer w.Stop()
	buf := make([]byte, 4096)
	for {
		n, err := s.ch.Read(buf)
		p := buf[:n]
		i := bytes.IndexByte(p, leaveKey)
		if i >= 0 {
			p = p[:i]
		}
		if len(p) > 0 {
			w.Input().Write(p) // a watcher's keys are refused unless it joined
		}
		if i >= 0 || err != nil {
			return
		}
	}
}

// labSessions returns what lists the live sessions and the recordings of
// the students of class.
func (s *session) labSessions(class string) func() {
	t := s.teaching()
	if !slices.Contains(t.TeacherOf(s.person()), class) {
		return s.answer(fmt.Sprintf("you do not teach a class %q; yours: %s", class, strings.Join(t.TeacherOf(s.person()), ", ")), 1)
	}
	ks := s.conn.srv.sessions
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GUEST\tSESSION\tSTATE\tSINCE\tCOMMAND")
	var recs []string
	for _, g := range t.ClassGuests(class) {
		id := guest.GuestID(g.Student, g.Guest)
		for _, i := range ks.Table.List(id) {
			state := map[bool]string{false: "detached", true: "attached"}[i.Attached]
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s ago\t%s\n", id, i.N, state, ago(time.Since(i.Since)), printableText(orLoginShell(i.Command), 40))
		}
		if ks.Recordings == nil {
			continue
		}
		es, err := ks.Recordings.List(id)
		if err != nil {
			s.log.Warn("listing recordings", "guest", id, "err", err)
		}
		for _, e := range es {
			recs = append(recs, fmt.Sprintf("%s\t%s\t%s\t%d\n", e.ID, id, e.Started.UTC().Format(time.DateTime), e.Bytes))
		}
	}
	if len(recs) > 0 {
		fmt.Fprintln(tw, "\nRECORDING\tGUEST\tSTARTED (UTC)\tBYTES\t")
		for _, r := range recs {
			fmt.Fprint(tw, r)
		}
	}
	tw.Flush()
	return func() { s.reply(strings.ReplaceAll(b.String(), "\n", "\r\n"), 0) }
}

// orLoginShell names a login shell's empty command.
func orLoginShell(command string) string {
	if command == "" {
		return "(login shell)"
	}
	return command
}

// playCmd returns what replays the recording args[0] (GUEST/FILE, as
// ':lab sessions' shows it) of a student of the teacher's, with its
// timing, pauses cut to 2s; "--speed X" plays it X times faster.
func (s *session) playCmd(args []string) func() {
	speed := 1.0
	if len(args) == 3 {
		v, err := strconv.ParseFloat(args[2], 64)
		if err != nil || v <= 0 || v > 1000 {
			return s.answer(fmt.Sprintf("%q is not a speed; write a number above 0, like 2", args[2]), 1)
		}
		speed = v
	}
	guestID, _, _ := strings.Cut(args[0], "/")
	owner, _, err := ParseLogin(guestID)
	if err != nil || !s.teaching().Teaches(s.person(), owner) {
		return s.answer(fmt.Sprintf("%q is not a recording of a student of yours; ':lab sessions CLASS' lists them", args[0]), 1)
	}
	ks := s.conn.srv.sessions
	if ks.Recordings == nil {
		return s.answer("this host keeps no recordings", 1)
	}
	f, err := ks.Recordings.Open(args[0])
	if err != nil {
		return s.answer(err.Error(), 1)
	}
	return func() {
		defer f.Close()
		s.conn.audit.Info("recording played", "recording", args[0], "by", s.person())
		stop := make(chan struct{})
		s.conn.goSafe("play input", func() { s.waitLeave(stop) })
		err := asciicast.Play(f, stopWriter{s.ch, stop}, speed, 2*time.Second, func(d time.Duration) {
			select {
			case <-time.After(d):
			case <-stop:
			}
		})
		if err != nil && !errors.Is(err, errStopped) {
			s.reply(fmt.Sprintf("\r\nvmhost: %v\r\n", err), 1)
			return
		}
		s.reply("\r\nvmhost: end of recording "+args[0]+"\r\n", 0)
	}
}

// errStopped ends a replay the client left.
var errStopped = errors.New("stopped")

// stopWriter writes to the client until stop is closed.
type stopWriter struct {
	w    interface{ Write([]byte) (int, error) }
	stop chan struct{}
}

func (w stopWriter) Write(p []byte) (int, error) {
	select {
	case <-w.stop:
		return 0, errStopped
	default:
		return w.w.Write(p)
	}
}

// waitLeave closes stop when the client presses Ctrl-] or goes away.
func (s *session) waitLeave(stop chan struct{}) {
	defer close(stop)
	buf := make([]byte, 512)
	for {
		n, err := s.ch.Read(buf)
		if bytes.IndexByte(buf[:n], leaveKey) >= 0 || err != nil {
			return
		}
	}
}
