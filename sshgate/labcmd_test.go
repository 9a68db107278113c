package sshgate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
	"vmhost/labs"
	"vmhost/protocol"
)

// noLabGuests is a guest manager with no guest: the labs service can
// answer, refuse and list, and any guest work fails.
type noLabGuests struct{}

func (noLabGuests) List() []labs.Guest                         { return nil }
func (noLabGuests) Open(context.Context, string, string) error { return errors.New("no guests here") }
func (noLabGuests) Stop(string) error                          { return errors.New("no guests here") }
func (noLabGuests) Reset(string) error                         { return errors.New("no guests here") }
func (noLabGuests) Remove(string) error                        { return errors.New("no guests here") }
func (noLabGuests) Exec(context.Context, string, protocol.SpawnRequest) (labs.Process, error) {
	return nil, errors.New("no guests here")
}

// guestKeysOf admits key to owner's guest of the same name, as if it were
// in that guest's /root/.ssh/authorized_keys.
type guestKeysOf struct{ owner, key string }

func (g guestKeysOf) AuthorizedKeys(owner, name string) ([]byte, error) {
	if owner == g.owner && name == owner {
		return []byte(g.key + "\n"), nil
	}
	return nil, errors.New("none")
}

func TestLabCommands(t *testing.T) {
	requireSSH(t)
	var logs logBuffer
	tina, otto, s01, s02, mallory := newUserKey(t, "tina"), newUserKey(t, "otto"), newUserKey(t, "s01"), newUserKey(t, "s02"), newUserKey(t, "mallory")
	users := map[string]config.User{"tina": {Keys: []string{tina.pub}}, "otto": {Keys: []string{otto.pub}},
		"s01": {Keys: []string{s01.pub}}, "s02": {Keys: []string{s02.pub}}}
	cfg := &config.Config{Users: users, Classes: map[string]config.Class{
		"net101": {Name: "net101", Teachers: []string{"tina"}, Members: []string{"s01", "s02"}},
		"sec201": {Name: "sec201", Teachers: []string{"otto"}},
	}}
	svc := labs.New(labs.Options{Config: func() *config.Config { return cfg }, Guests: noLabGuests{}, Store: labs.NewStore(t.TempDir())})
	ts := startServer(t, users, captureLog(t, &logs), func(o *Options) {
		o.Labs = labs.NewShell(svc)
		o.GuestKeys = guestKeysOf{"tina", mallory.pub}
		o.Logins = fakeLogins{} // s02's class is closed
	})
	run := func(login string, key userKey, opts []string, command string) sshResult {
		return ts.run(t, sshCmd{key: key, login: login, opts: opts, args: []string{command}})
	}

	r := run("tina", tina, nil, ":lab status net101 --json")
	var rows []labs.Status
	if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || len(rows) != 2 || rows[0].Guest != "s01" {
		t.Errorf(":lab status net101 --json without a terminal: %+v (%v)", r, err)
	}
	if r := run("tina", tina, []string{"-tt"}, ":lab ls"); r.code != 0 || !strings.Contains(r.stdout, "net101  tina") || strings.Contains(r.stdout, "sec201") {
		t.Errorf(":lab ls with a terminal: %+v", r)
	}
	refusals := []struct {
		login   string
		key     userKey
		command string
		says    string
	}{
		{"tina", tina, ":lab status sec201", "tina teaches net101, not \"sec201\""},
		{"otto", otto, ":lab check net101", "otto teaches sec201, not \"net101\""},
		{"s01", s01, ":lab status net101", "s01 teaches none"},
		{"tina", mallory, ":lab ls", "needs a key of the configuration"},
		{"tina", tina, ":check", "tina is a student of no class"},
		{"s01", s01, ":check now", "takes no arguments"},
		{"s02", s02, ":check", "closed at 2026-12-10 12:00 UTC"},
	}
	for _, tt := range refusals {
		if r := run(tt.login, tt.key, nil, tt.command); r.code != 1 || !strings.Contains(r.stderr, tt.says) {
			t.Errorf("%s as %s: %+v, want exit 1 saying %q", tt.command, tt.login, r, tt.says)
		}
	}
	if got := ts.guests.openCalls(); len(got) != 0 {
		t.Errorf(":lab and :check opened guests: %v", got)
	}
	if !strings.Contains(logs.String(), `kind=lab command=":lab check net101" by=otto outcome=ended code=1`) {
		t.Errorf("no audit line names otto's refused check:\n%s", logs.String())
	}
	if r := run("s01", s01, nil, "echo :lab"); r.code != 0 || r.stdout != ":lab\n" {
		t.Errorf("a command that merely mentions :lab: %+v", r)
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{":lab status net101", []string{":lab", "status", "net101"}, true},
		{"  :lab\tcheck  net101 --json ", []string{":lab", "check", "net101", "--json"}, true},
		{`:lab distribute net101 '/root/my task.txt'`, []string{":lab", "distribute", "net101", "/root/my task.txt"}, true},
		{`:lab collect net101 "/root/a \"b\".txt"`, []string{":lab", "collect", "net101", `/root/a "b".txt`}, true},
		{`:lab x ''`, []string{":lab", "x", ""}, true},
		{`:lab 'open`, nil, false},
	}
	for _, tt := range tests {
		got, err := splitWords(tt.in)
		if (err == nil) != tt.ok || (tt.ok && !cmp.Equal(got, tt.want)) {
			t.Errorf("splitWords(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
