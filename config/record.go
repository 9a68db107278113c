package config

// RecordPolicy is how a user's terminal sessions are recorded.
type RecordPolicy struct {
	On         bool // every pty session is recorded
	Input      bool // what the user types is recorded too
	FailClosed bool // a session that cannot be recorded is refused, or hung up
}

// Values of record_fail.
const (
	RecordFailOpen   = "open"
	RecordFailClosed = "closed"
)

// RecordingFor returns how the user's terminal sessions are recorded: the
// user's own record, record_input and record_fail, each else that of
// defaults (record off, input off, fail open).
func (c *Config) RecordingFor(user string) RecordPolicy {
	d := c.Defaults
	p := RecordPolicy{On: d.Record, Input: d.RecordInput, FailClosed: d.RecordFail == RecordFailClosed}
	u, ok := c.Users[user]
	if !ok {
		return p
	}
	if u.Record != nil {
		p.On = *u.Record
	}
	if u.RecordInput != nil {
		p.Input = *u.RecordInput
	}
	if u.RecordFail != "" {
		p.FailClosed = u.RecordFail == RecordFailClosed
	}
	return p
}

// checkRecordFail wants each record_fail open or closed.
func checkRecordFail(v *validator) {
	check := func(path, s string) {
		if s != "" && s != RecordFailOpen && s != RecordFailClosed {
			v.addf(path, "%q is not a choice; write open (a session that cannot be recorded goes on) or closed (it is refused)", s)
		}
	}
	check("defaults.record_fail", v.c.Defaults.RecordFail)
	for name, u := range v.c.Users {
		check("users."+name+".record_fail", u.RecordFail)
	}
}
