package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"vmhost/config"
	"vmhost/sshgate"
)

// errNotTeacher refuses watching a guest whose owner the person does not
// teach.
var errNotTeacher = errors.New("you do not teach this student's class")

// errAdminJoin refuses an admin's join: an admin watches students'
// sessions, read-only, but reaches no guest they could not reach over SSH.
var errAdminJoin = errors.New("an admin watches a student's session but does not join it; a teacher of the class may")

// mayWatch returns the role in which person may watch the sessions of
// owner's guest, and with join also type into them: "teacher" for a
// teacher of owner's class (as ":watch" and ":join" over SSH); "admin"
// for one of web.admins watching a student of any class, read-only.
func mayWatch(c *config.Config, person, owner, guest string, join bool) (string, error) {
	if c.IsAdmin(person) && !c.Teaches(person, owner) && len(c.TeachersOf(owner)) > 0 {
		if _, _, err := sshgate.ParseLogin(owner + "+" + guest); err != nil {
			return "", err
		}
		if join {
			return "", errAdminJoin
		}
		return "admin", nil
	}
	if err := mayReach(c, person, owner, guest); err != nil {
		return "", err
	}
	if !c.Teaches(person, owner) {
		return "", errNotTeacher
	}
	return "teacher", nil
}

// GuestStatus is what the dashboard shows of a guest beyond its sessions.
type GuestStatus struct {
	// State is the guest's state: stopped, starting, running, stopping,
	// broken, or not made yet.
	State string
	// Connected counts its SSH and browser connections now.
	Connected int
	// Active is when it was last used (now while connected), since the
	// daemon started.
	Active time.Time
}

// studentRow is one guest of one student, as the dashboard shows it.
type studentRow struct {
	Student string `json:"student"`
	Guest   string `json:"guest"`
	Login   string `json:"login"`
	// State is the guest's state (running, stopped, ...); Connected
	// counts its SSH and browser connections now.
	State     string        `json:"state"`
	Connected int           `json:"connected"`
	Sessions  []sessionInfo `json:"sessions"`
	// Active is when the guest was last used: a connection open or
	// closed, a kept session attached or detached.
	Active time.Time `json:"active,omitzero"`
	// Check is the guest's last check result; nil when never checked.
	Check *LabResult `json:"check,omitempty"`
}

// classView is one class on the dashboard.
type classView struct {
	Class string `json:"class"`
	// Teaches is true when the person teaches the class, and so may watch
	// and join its students' sessions; an admin who does not sees the
	// class, runs its check and resets its students.
	Teaches  bool         `json:"teaches"`
	Students []studentRow `json:"students"`
}

// classes answers GET /api/classes: the classes the person teaches (every
// class for an admin), each student's guests with their state,
// connections, sessions and last check.
func (s *Server) classes(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	terms := s.terms()
	c := s.opts.Config()
	taught := c.TeacherOf(b.person)
	out := []classView{}
	for _, class := range s.shownClasses(c, b.person) {
		cv := classView{Class: class, Teaches: slices.Contains(taught, class), Students: []studentRow{}}
		var checks map[string]LabResult
		if s.opts.Labs != nil {
			checks = s.opts.Labs.LastChecks(class)
		}
		for _, sg := range c.ClassGuests(class) {
			row := s.studentRow(terms, b.person, sg, cv.Teaches || c.IsAdmin(b.person))
			if res, ok := checks[row.Login]; ok {
				row.Check = &res
			}
			cv.Students = append(cv.Students, row)
		}
		out = append(out, cv)
	}
	writeJSON(w, http.StatusOK, out)
}

// shownClasses are the classes on person's dashboard: those they teach,
// or every class, sorted, for an admin.
func (s *Server) shownClasses(c *config.Config, person string) []string {
	if !c.IsAdmin(person) {
		return c.TeacherOf(person)
	}
	return slices.Sorted(maps.Keys(c.Classes))
}

// studentRow describes one student's guest for person.
// Its sessions are listed only to those who may watch them (watches): the
// class's teachers and the admins.
func (s *Server) studentRow(terms Terminals, person string, sg config.StudentGuest, watches bool) studentRow {
	row := studentRow{Student: sg.Student, Guest: sg.Guest, Login: loginOf(sg.Student, sg.Guest), Sessions: []sessionInfo{}}
	if s.opts.GuestStatus != nil {
		st := s.opts.GuestStatus(sg.Student, sg.Guest)
		row.State, row.Connected, row.Active = st.State, st.Connected, st.Active
	}
	if terms == nil || !watches {
		return row
	}
	list, _ := terms.ListTerminals(sshgate.TerminalRequest{Person: person, Owner: sg.Student, Guest: sg.Guest})
	for _, i := range list {
		row.Sessions = append(row.Sessions, sessionInfo{i.N, i.Attached, i.Since, i.Command, i.Cols, i.Rows})
		if i.Since.After(row.Active) {
			row.Active = i.Since
		}
	}
	return row
}

// watch answers GET /api/watch?login=L&session=N&join=yes&csrf=T with a
// WebSocket that shows the session, and with join sends the teacher's
// keys to it; the student is told.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	q := r.URL.Query()
	if !s.sameOrigin(r) || !validCSRF(b, q.Get(csrfParam)) {
		s.audit.Info("web watch refused", "user", b.person, "reason", "foreign origin or missing CSRF token")
		fail(w, http.StatusForbidden, "this request did not come from this site, or lacks its CSRF token")
		return
	}
	owner, guest, err := sshgate.ParseLogin(q.Get("login"))
	join := q.Get("join") == "yes"
	var role string
	if err == nil {
		role, err = mayWatch(s.opts.Config(), b.person, owner, guest, join)
	}
	n, nerr := strconv.Atoi(q.Get("session"))
	if err == nil && (nerr != nil || n < 1) {
		err = errors.New("session is a session number")
	}
	terms := s.terms()
	if err == nil && terms == nil {
		err = errors.New("starting up")
	}
	if err != nil {
		s.audit.Info("web watch refused", "user", b.person, "login", q.Get("login"), "reason", err.Error())
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	c, ctx, done, err := s.accept(w, r, b)
	if err != nil {
		return
	}
	defer done()
	req := sshgate.TerminalRequest{Person: b.person, Owner: owner, Guest: guest, Via: "web", Remote: r.RemoteAddr, Role: role}
	s.serveWatch(ctx, c, terms, req, n, join)
}

// serveWatch shows session n to c until either goes.
func (s *Server) serveWatch(ctx context.Context, c *websocket.Conn, terms Terminals, req sshgate.TerminalRequest, n int, join bool) {
	out := &socketWriter{c: c, ctx: ctx}
	wt, left, err := terms.WatchTerminal(req, n, out, join)
	if err != nil {
		out.control(control{Type: "ended", Reason: err.Error()})
		c.Close(websocket.StatusPolicyViolation, "refused")
		return
	}
	defer left()
	defer wt.Stop()
	out.control(control{Type: "attached", Session: n})
	go func() {
		defer wt.Stop()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageBinary {
				wt.Input().Write(data) // refused unless joined
			}
		}
	}()
	select {
	case <-wt.Done():
	case <-ctx.Done():
	}
	out.control(control{Type: "ended", Session: n, Reason: "stopped watching"})
	c.Close(websocket.StatusNormalClosure, "")
}
