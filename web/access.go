package web

import (
	"errors"
	"fmt"
	"slices"

	"vmhost/config"
	"vmhost/sshgate"
)

// errNotYours refuses a guest that is neither the person's nor one of
// their students'.
var errNotYours = errors.New("that guest is not yours")

// mayReach returns nil when person may reach owner's guest named guest
// over SSH, and so from the browser: the guest is their own, or that of a
// student of a class they teach (as a teacher's key opens a student's
// guest), and person is still a user of the configuration. The classes'
// hosts and hours are checked when the terminal starts (see
// sshgate.Server.TerminalGuest), as at an SSH login.
func mayReach(c *config.Config, person, owner, guest string) error {
	if _, ok := c.User(person); !ok {
		return fmt.Errorf("%s is no longer a user of this host", person)
	}
	if _, _, err := sshgate.ParseLogin(owner + "+" + guest); err != nil {
		return err
	}
	if person != owner && !c.Teaches(person, owner) {
		return errNotYours
	}
	return nil
}

// place is a guest as the picker offers it.
type place struct {
	Login string `json:"login"` // as ssh names it: owner or owner+guest
	Owner string `json:"owner"`
	Guest string `json:"guest"`
}

// loginOf names owner's guest as an SSH login does.
func loginOf(owner, guest string) string {
	if guest == owner {
		return owner
	}
	return owner + "+" + guest
}

// places lists the guests person may reach: the one their link named
// (start), their own (the default one, their class's hosts, those they
// made), then their students'.
func (s *Server) places(c *config.Config, person string, start place) []place {
	var out []place
	add := func(owner, guest string) {
		p := place{loginOf(owner, guest), owner, guest}
		if _, err := c.GuestFor(owner, guest); err != nil {
			return
		}
		if !slices.Contains(out, p) && mayReach(c, person, owner, guest) == nil {
			out = append(out, p)
		}
	}
	if start.Owner != "" {
		add(start.Owner, start.Guest)
	}
	if cl, ok := c.Class(person); ok && len(cl.Hosts) > 0 {
		for _, h := range cl.Hosts.Names() {
			add(person, h)
		}
	} else {
		add(person, person)
	}
	if s.opts.Guests != nil {
		for _, g := range s.opts.Guests(person) {
			add(person, g)
		}
	}
	for _, class := range c.TeacherOf(person) {
		for _, sg := range c.ClassGuests(class) {
			add(sg.Student, sg.Guest)
		}
	}
	return out
}
