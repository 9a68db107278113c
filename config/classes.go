package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Class is one class of the classes section: students who each get the
// class's hosts as guests of their own, teachers whose keys open those
// guests, and the lab's setup and check scripts. A class is configuration
// only: at load it becomes settings of its students (see [Config.Class]).
type Class struct {
	// Name is the class's key in the classes section.
	Name string `yaml:"-"`
	// Teachers are users of the users section who reach every guest of
	// the class's students and run the class (:lab over SSH).
	Teachers []string `yaml:"teachers"`
	// Students are users of the users section; Roster adds more.
	Students []string `yaml:"students"`
	// Roster is a file of "name ssh-key..." lines, one student per line,
	// each made a user with that key; relative to the config's directory.
	Roster string `yaml:"roster"`
	// Image and Limits are those of every host, unless the host has its
	// own; left out, the students' own (or the defaults).
	Image  string `yaml:"image"`
	Limits Limits `yaml:"limits"`
	// Hosts are the guests each student gets, in the order written; the
	// first is the one "ssh STUDENT@host" reaches. Left out, a student
	// has one guest, named after the student, as any user.
	Hosts ClassHosts `yaml:"hosts"`
	// Links are private L2 segments per student, each joining the named
	// hosts; see [Config.LinksOf].
	Links [][]string `yaml:"links"`
	// Setup runs once in each new guest (and again after a reset), as
	// root; Check runs when the class is checked: exit 0 passes.
	Setup string `yaml:"setup"`
	Check string `yaml:"check"`
	// CheckTimeout bounds one run of Check in one guest (default 60s).
	CheckTimeout Duration `yaml:"check_timeout"`
	// Open and Close, RFC 3339 times, bound when students may log in;
	// teachers always may.
	Open  string `yaml:"open"`
	Close string `yaml:"close"`
	// Record, RecordInput and IdleStop override the students' own.
	Record      *bool     `yaml:"record"`
	RecordInput *bool     `yaml:"record_input"`
	IdleStop    *Duration `yaml:"idle_stop"`

	// OpenAt and CloseAt are Open and Close read; zero where left out.
	OpenAt  time.Time `yaml:"-"`
	CloseAt time.Time `yaml:"-"`
	// Members are Students and the roster's students, in that order.
	Members []string `yaml:"-"`
}

// ClassHost is one host of a class: a guest of that name per student.
type ClassHost struct {
	// Name is the host's key in hosts: the guest's name and hostname.
	Name   string `yaml:"-"`
	Image  string `yaml:"image"`
	Limits Limits `yaml:"limits"`
}

// ClassHosts are a class's hosts in the order the file wrote them.
type ClassHosts []ClassHost

// Names returns the hosts' names in order.
func (h ClassHosts) Names() []string {
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.Name
	}
	return out
}

// Lookup returns the host called name.
func (h ClassHosts) Lookup(name string) (ClassHost, bool) {
	i := slices.IndexFunc(h, func(x ClassHost) bool { return x.Name == name })
	if i < 0 {
		return ClassHost{}, false
	}
	return h[i], true
}

// DefaultCheckTimeout bounds one run of a class's check script in one guest
// when check_timeout is left out.
const DefaultCheckTimeout = Duration(60 * time.Second)

// Bounds of a class's shape: its hosts, its links and a host's links.
const (
	MaxClassHosts = 8
	MaxClassLinks = 16
	MaxHostLinks  = 8
)

// Class returns the class whose student user is, and whether there is one.
func (c *Config) Class(user string) (*Class, bool) {
	for _, cl := range c.Classes {
		if slices.Contains(cl.Members, user) {
			return &cl, true
		}
	}
	return nil, false
}

// Teaches reports whether teacher is a teacher of the class of the student
// owner.
func (c *Config) Teaches(teacher, owner string) bool {
	cl, ok := c.Class(owner)
	return ok && slices.Contains(cl.Teachers, teacher)
}

// TeachersOf returns the teachers of the class of the student owner; none
// for anyone else.
func (c *Config) TeachersOf(owner string) []string {
	if cl, ok := c.Class(owner); ok {
		return cl.Teachers
	}
	return nil
}

// TeacherOf returns the names of the classes teacher teaches, sorted.
func (c *Config) TeacherOf(teacher string) []string {
	var out []string
	for _, name := range sortedKeys(c.Classes) {
		if slices.Contains(c.Classes[name].Teachers, teacher) {
			out = append(out, name)
		}
	}
	return out
}

// GuestFor returns the name of the guest a login of owner naming guest
// reaches: for a student of a class with hosts, the login's default guest
// (the owner's own name) is the class's first host, and a name that is no
// host of the class is an error that lists them. Everyone else's guest
// names are as written.
func (c *Config) GuestFor(owner, guest string) (string, error) {
	cl, ok := c.Class(owner)
	if !ok || len(cl.Hosts) == 0 {
		return guest, nil
	}
	if guest == owner {
		return cl.Hosts[0].Name, nil
	}
	if _, ok := cl.Hosts.Lookup(guest); ok {
		return guest, nil
	}
	names := make([]string, len(cl.Hosts))
	for i, h := range cl.Hosts {
		names[i] = owner + "+" + h.Name
	}
	return "", fmt.Errorf("class %s has no host %q; log in as %s", cl.Name, guest, strings.Join(names, " or "))
}

// GuestImage returns the image a new guest named guest of owner starts
// from: its class host's image, the class's, or the owner's.
func (c *Config) GuestImage(owner, guest string) string {
	if cl, ok := c.Class(owner); ok {
		if h, ok := cl.Hosts.Lookup(guest); ok && h.Image != "" {
			return h.Image
		}
	}
	return c.ImageFor(owner)
}

// GuestLimits returns the limits of owner's guest named guest: the owner's
// (with the class's over them, see [Config.LimitsFor]), with its class
// host's own over those.
func (c *Config) GuestLimits(owner, guest string) Limits {
	l := c.LimitsFor(owner)
	if cl, ok := c.Class(owner); ok {
		if h, ok := cl.Hosts.Lookup(guest); ok {
			l = l.Override(h.Limits)
		}
	}
	return l
}

// ErrClassClosed is the refusal of a student's login outside the class's
// open and close times.
type ErrClassClosed struct {
	Class       string
	Open, Close time.Time
	Now         time.Time
}

func (e *ErrClassClosed) Error() string {
	f := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
	switch {
	case !e.Open.IsZero() && e.Now.Before(e.Open):
		return fmt.Sprintf("class %s opens at %s; it is now %s", e.Class, f(e.Open), f(e.Now))
	default:
		return fmt.Sprintf("class %s closed at %s; it is now %s", e.Class, f(e.Close), f(e.Now))
	}
}

// LoginWindow returns an *ErrClassClosed when user is a student whose class
// is not open at now, and nil otherwise.
func (c *Config) LoginWindow(user string, now time.Time) error {
	cl, ok := c.Class(user)
	if !ok {
		return nil
	}
	if (!cl.OpenAt.IsZero() && now.Before(cl.OpenAt)) || (!cl.CloseAt.IsZero() && !now.Before(cl.CloseAt)) {
		return &ErrClassClosed{Class: cl.Name, Open: cl.OpenAt, Close: cl.CloseAt, Now: now}
	}
	return nil
}

// LabLink is one interface of a guest on one of its student's private L2
// segments.
type LabLink struct {
	// Segment names the segment, the same for every guest on it and
	// unique on the host: "CLASS/STUDENT/N" for the class's Nth link.
	Segment string
	// Iface is the interface's name in the guest: eth1, eth2, ... in the
	// order of the class's links.
	Iface string
}

// LinksOf returns the interfaces owner's guest named guest has on its
// student's private segments, in the order of the class's links; none for
// anyone but a student of a class with links.
func (c *Config) LinksOf(owner, guest string) []LabLink {
	cl, ok := c.Class(owner)
	if !ok {
		return nil
	}
	var out []LabLink
	for i, link := range cl.Links {
		if slices.Contains(link, guest) {
			out = append(out, LabLink{
				Segment: fmt.Sprintf("%s/%s/%d", cl.Name, owner, i),
				Iface:   fmt.Sprintf("eth%d", len(out)+1),
			})
		}
	}
	return out
}

// StudentGuest is one guest of one student of a class.
type StudentGuest struct {
	Student string // the guest's owner
	Guest   string // the guest's name: a class host, or the student's own name
}

// ClassGuests returns the guests of the students of class, student by
// student in the class's order, each's hosts in order; none for a class
// that does not exist.
func (c *Config) ClassGuests(class string) []StudentGuest {
	cl, ok := c.Classes[class]
	if !ok {
		return nil
	}
	var out []StudentGuest
	for _, s := range cl.Members {
		if len(cl.Hosts) == 0 {
			out = append(out, StudentGuest{s, s})
		}
		for _, h := range cl.Hosts {
			out = append(out, StudentGuest{s, h.Name})
		}
	}
	return out
}
