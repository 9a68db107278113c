package sshgate

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"vmhost/config"
)

// fakeLogins is a class: s01's and s02's plain logins reach "pc", their
// only other host is "router", and s02's class is closed.
type fakeLogins struct{}

func (fakeLogins) GuestFor(owner, guest string) (string, error) {
	if owner != "s01" && owner != "s02" {
		return guest, nil
	}
	switch guest {
	case owner:
		return "pc", nil
	case "pc", "router":
		return guest, nil
	}
	return "", errors.New("class net101 has no host " + guest)
}

func (fakeLogins) LoginWindow(owner string, _ time.Time) error {
	if owner == "s02" {
		return errors.New("class net101 closed at 2026-12-10 12:00 UTC")
	}
	return nil
}

func TestClassLogins(t *testing.T) {
	requireSSH(t)
	var logs logBuffer
	tina, s01, s02 := newUserKey(t, "tina"), newUserKey(t, "s01"), newUserKey(t, "s02")
	users := map[string]config.User{"tina": {Keys: []string{tina.pub}}, "s01": {Keys: []string{s01.pub}}, "s02": {Keys: []string{s02.pub}}}
	teachers := func(owner string) []string {
		if owner == "s01" || owner == "s02" {
			return []string{"tina"}
		}
		return nil
	}
	ts := startServer(t, users, captureLog(t, &logs), func(o *Options) {
		o.Users = WithTeachers(o.Users, teachers)
		o.Logins = fakeLogins{}
	})
	run := func(login string, key userKey) sshResult {
		return ts.run(t, sshCmd{key: key, login: login, args: []string{"echo", "in"}})
	}

	if r := run("s01", s01); r.code != 0 || r.stdout != "in\n" {
		t.Errorf("s01's own login: %+v", r)
	}
	if r := run("s01+router", tina); r.code != 0 || r.stdout != "in\n" {
		t.Errorf("tina's key as s01+router: %+v", r)
	}
	if r := run("s02", tina); r.code != 0 {
		t.Errorf("tina's key as s02 while the class is closed: %+v, want in (teachers may)", r)
	}
	want := []openCall{{"s01", "pc"}, {"s01", "router"}, {"s02", "pc"}}
	if got := ts.guests.openCalls(); !slices.Equal(got, want) {
		t.Errorf("guests opened %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "owner=s01 guest=router") || !strings.Contains(logs.String(), "actor=tina") {
		t.Errorf("no audit line names tina as the actor of s01+router:\n%s", logs.String())
	}

	if r := run("s02", s02); r.code == 0 || !strings.Contains(r.stderr, "closed at 2026-12-10 12:00 UTC") {
		t.Errorf("s02 outside the class's hours: %+v, want refused with the reason", r)
	}
	if r := run("s01+web", s01); r.code == 0 || !strings.Contains(r.stderr, "no host web") {
		t.Errorf("s01+web: %+v, want refused with the reason", r)
	}
	for _, tt := range []struct {
		login string
		key   userKey
	}{{"s02", s01}, {"s01+router", s02}, {"tina", s01}} {
		if r := run(tt.login, tt.key); r.code != 255 {
			t.Errorf("%s with another's key: %+v, want the key refused", tt.login, r)
		}
	}
	if got := ts.guests.openCalls(); !slices.Equal(got, want) {
		t.Errorf("refused logins opened guests: %v, want still %v", got, want)
	}
}
