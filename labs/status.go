package labs

import (
	"time"
)

// Status is one guest of a class as status shows it.
type Status struct {
	Target
	// State is the guest's: stopped, starting, running, stopping, broken,
	// or "none" when it was not made yet.
	State string `json:"state"`
	// Error is why a broken guest is broken.
	Error string `json:"error,omitempty"`
	// Connected is how many SSH connections are open to it now.
	Connected int `json:"connected"`
	// LastLogin and LastActivity are when it was last logged in to and
	// last used (now while connected), since the daemon started.
	LastLogin    time.Time `json:"last_login,omitzero"`
	LastActivity time.Time `json:"last_activity,omitzero"`
	// Setup is how its last setup went; nil when none ran.
	Setup *SetupResult `json:"setup,omitempty"`
	// Check is its last check's result; nil when it was never checked.
	Check *Result `json:"check,omitempty"`
}

// StateNone is the state of a guest not made yet.
const StateNone = "none"

// Status returns every guest of the class's students (of one student,
// with req.Student), student by student.
func (s *Service) Status(req Request) ([]Status, error) {
	cl, targets, _, err := s.prepare(req, "status")
	if err != nil {
		return nil, err
	}
	s.audit(req, "status")
	have := s.existing()
	out := make([]Status, 0, len(targets))
	for _, t := range targets {
		st := Status{Target: t, State: StateNone, Connected: s.opts.Sessions.Sessions(t.Guest)}
		if g, ok := have[t.Guest]; ok {
			st.State, st.Error = g.State, g.Error
		}
		st.LastLogin, st.LastActivity = s.opts.Seen.Last(t.Guest)
		st.Setup, _ = s.opts.Store.Setup(cl.Name, t.Guest)
		if c, _ := s.opts.Store.LastCheck(cl.Name, t.Guest); c != nil {
			c.Output = "" // status shows the verdict and the FAIL lines
			st.Check = c
		}
		out = append(out, st)
	}
	return out, nil
}

// ClassInfo is one class as ls shows it.
type ClassInfo struct {
	Name     string   `json:"name"`
	Teachers []string `json:"teachers"`
	Students int      `json:"students"`
	// Hosts are the class's hosts; empty when each student has one guest
	// named after them.
	Hosts []string `json:"hosts"`
	// Guests is how many of the students' guests exist, Running how many
	// of them run.
	Guests  int       `json:"guests"`
	Running int       `json:"running"`
	Open    time.Time `json:"open,omitzero"`
	Close   time.Time `json:"close,omitzero"`
}

// Classes returns the classes whose names keep reports true (every class
// for nil), sorted by name.
func (s *Service) Classes(keep func(class string) bool) []ClassInfo {
	cfg := s.opts.Config()
	have := s.existing()
	var out []ClassInfo
	for _, name := range sortedClassNames(cfg.Classes) {
		if keep != nil && !keep(name) {
			continue
		}
		cl := cfg.Classes[name]
		ci := ClassInfo{Name: name, Teachers: cl.Teachers, Students: len(cl.Members), Hosts: hostNames(cl),
			Open: cl.OpenAt, Close: cl.CloseAt}
		if ci.Hosts == nil {
			ci.Hosts = []string{}
		}
		targets, _ := targetsOf(cl, "")
		for _, t := range targets {
			if g, ok := have[t.Guest]; ok {
				ci.Guests++
				if g.State == "running" {
					ci.Running++
				}
			}
		}
		out = append(out, ci)
	}
	return out
}
