package sshgate

import (
	"net/netip"
	"time"

	"golang.org/x/crypto/ssh"
)

// Logins says which guest a login reaches and when its owner may log in:
// the classes of the configuration (a student's plain login reaches the
// class's first host, and a class may be open only at set times).
// *config.Config implements it.
type Logins interface {
	// GuestFor returns the guest that a login of owner naming guest
	// reaches, or an error, shown to the user, when it reaches none.
	GuestFor(owner, guest string) (string, error)
	// LoginWindow returns an error, shown to the user, when owner may not
	// log in at now.
	LoginWindow(owner string, now time.Time) error
}

// loginGuest returns the guest a login of owner naming guest reaches; the
// name as written when no guest matches, for openGuest to refuse with the
// reason.
func (s *Server) loginGuest(owner, guest string) string {
	if s.logins == nil {
		return guest
	}
	if name, err := s.logins.GuestFor(owner, guest); err == nil {
		return name
	}
	return guest
}

// checkLogin returns why the connection may not reach its guest now, or
// nil: a guest name its owner's class has no host for, or a student's
// login outside the class's hours. A teacher (the grant's actor) may log
// in at any time.
func (c *conn) checkLogin() error {
	l := c.srv.logins
	if l == nil {
		return nil
	}
	if _, err := l.GuestFor(c.owner, c.guest); err != nil {
		return err
	}
	if c.grant.Actor != "" {
		return nil
	}
	return l.LoginWindow(c.owner, time.Now())
}

// WithTeachers returns users that also admit to a student's guests the keys
// of the student's teachers (teachers returns them, none for anyone but a
// student), as the teacher would be admitted to their own: the grant names
// the teacher as its actor. The student's own keys come first.
func WithTeachers(users Users, teachers func(owner string) []string) Users {
	return teacherKeys{users, teachers}
}

// teacherKeys is the Users of WithTeachers.
type teacherKeys struct {
	Users
	teachers func(owner string) []string
}

// Authorize implements Users.
func (t teacherKeys) Authorize(user string, key ssh.PublicKey, source netip.Addr) (Grant, error) {
	g, err := t.Users.Authorize(user, key, source)
	if err == nil {
		return g, nil
	}
	for _, teacher := range t.teachers(user) {
		if tg, terr := t.Users.Authorize(teacher, key, source); terr == nil {
			tg.Actor, tg.Via = teacher, teacher+" "+tg.Via
			return tg, nil
		}
	}
	return g, err
}
