package labs

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"vmhost/config"
)

// Target is one guest of a class: a student's host.
type Target struct {
	Student string `json:"student"`
	// Host is the class's host; for a class without hosts, the student's
	// own name (their one guest).
	Host string `json:"host"`
	// Guest is the guest's ID, its login: "s01+pc", or "s01".
	Guest string `json:"guest"`
}

// guestID returns the ID of owner's guest name, as the guest manager
// names it.
func guestID(owner, name string) string {
	if name == owner || name == "" {
		return owner
	}
	return owner + "+" + name
}

// ErrNoClass is returned, wrapped, for a class the configuration has not.
var ErrNoClass = errors.New("no such class")

// ErrNoStudent is returned, wrapped, for a student not in the class.
var ErrNoStudent = errors.New("no such student")

// lookupClass returns the class called name.
func lookupClass(cfg *config.Config, name string) (config.Class, error) {
	cl, ok := cfg.Classes[name]
	if !ok {
		names := make([]string, 0, len(cfg.Classes))
		for n := range cfg.Classes {
			names = append(names, n)
		}
		slices.Sort(names)
		return cl, fmt.Errorf("%w %q; the classes are: %s", ErrNoClass, name, orNone(strings.Join(names, ", ")))
	}
	return cl, nil
}

// orNone returns s, or "none".
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// hostNames returns the class's hosts in order; for a class without
// hosts, nil (a student's guest is named after them).
func hostNames(cl config.Class) []string {
	return cl.Hosts.Names()
}

// targetsOf returns the guests of the class's students, student by
// student, hosts in the class's order; of one student when student is not
// empty.
func targetsOf(cl config.Class, student string) ([]Target, error) {
	students := cl.Members
	if student != "" {
		if !slices.Contains(cl.Members, student) {
			return nil, fmt.Errorf("%w %q in class %s", ErrNoStudent, student, cl.Name)
		}
		students = []string{student}
	}
	var out []Target
	for _, s := range students {
		hosts := hostNames(cl)
		if len(hosts) == 0 {
			hosts = []string{s}
		}
		for _, h := range hosts {
			out = append(out, Target{Student: s, Host: h, Guest: guestID(s, h)})
		}
	}
	return out, nil
}

// ErrNotTeacher is returned, wrapped, when someone who does not teach a
// class asks to run it.
var ErrNotTeacher = errors.New("not a teacher of the class")

// Allowed returns nil when user may run the class called class: they are
// one of its teachers. The error says what user may do instead, and never
// whether a class they do not teach exists.
func Allowed(cfg *config.Config, user, class string) error {
	taught := cfg.TeacherOf(user)
	if slices.Contains(taught, class) {
		return nil
	}
	if len(taught) == 0 {
		return fmt.Errorf("%w: :lab is for the teachers of a class, and %s teaches none", ErrNotTeacher, user)
	}
	return fmt.Errorf("%w: %s teaches %s, not %q", ErrNotTeacher, user, strings.Join(taught, ", "), class)
}

// sortedClassNames returns the names of classes, sorted.
func sortedClassNames(classes map[string]config.Class) []string {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
