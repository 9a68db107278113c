package sshgate

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vmhost/config"
	vmsession "vmhost/session"
	"vmhost/session/record"
)

// fakeTeaching is class net101: tina teaches s01 and s02, who each have
// one guest named after them.
type fakeTeaching struct{}

func (fakeTeaching) Teaches(person, owner string) bool {
	return person == "tina" && (owner == "s01" || owner == "s02")
}

func (fakeTeaching) TeacherOf(person string) []string {
	if person == "tina" {
		return []string{"net101"}
	}
	return nil
}

func (fakeTeaching) ClassGuests(class string) []config.StudentGuest {
	if class != "net101" {
		return nil
	}
	return []config.StudentGuest{{Student: "s01", Guest: "s01"}, {Student: "s02", Guest: "s02"}}
}

// TestTeacherWatch: a teacher watches a student's session (the student is
// told, the teacher's keys go nowhere), joins it (they do), lists the
// class's sessions and recordings and replays one; nobody else may.
func TestTeacherWatch(t *testing.T) {
	requireSSH(t)
	tina, s01, bob := newUserKey(t, "tina"), newUserKey(t, "s01"), newUserKey(t, "bob")
	users := map[string]config.User{"tina": {Keys: []string{tina.pub}}, "s01": {Keys: []string{s01.pub}}, "bob": {Keys: []string{bob.pub}}}
	table := vmsession.NewTable(vmsession.Bounds{DetachTimeout: time.Hour, MaxDetached: 10}, time.Now, nil)
	recs := record.NewStore(filepath.Join(t.TempDir(), "recordings"))
	ts := startServer(t, users, func(o *Options) {
		o.Sessions = &Sessions{Table: table, Teaching: fakeTeaching{}, Recordings: recs,
			Record: func(owner string) config.RecordPolicy { return config.RecordPolicy{On: owner == "s01"} }}
	})
	student := openTerminal(t, ts.dial(t, "s01", s01), "")
	student.typeLine(t, "echo ready")
	readUntil(t, student.out, "ready")

	teacher := ts.dial(t, "tina", tina)
	watch := openTerminal(t, teacher, ":watch s01")
	readUntil(t, student.out, "vmhost: tina (teacher) is watching this session")
	student.typeLine(t, "echo seen''-by-teacher")
	readUntil(t, watch.out, "seen-by-teacher")
	watch.typeLine(t, "echo typed''-by-watcher")
	io.WriteString(watch.in, "\x1d")
	readUntil(t, watch.out, "vmhost: left session 1 of s01")
	readUntil(t, student.out, "tina (teacher) is no longer watching this session")

	join := openTerminal(t, teacher, ":join s01 1")
	readUntil(t, student.out, "tina (teacher) is joined to this session")
	join.typeLine(t, "echo typed''-by-teacher")
	got := readUntil(t, student.out, "typed-by-teacher")
	if strings.Contains(got, "typed-by-watcher") {
		t.Errorf("a watcher's keys reached the session: %q", got)
	}
	io.WriteString(join.in, "\x1d")
	readUntil(t, join.out, "vmhost: left session 1 of s01")

	ls := openTerminal(t, teacher, ":lab sessions net101")
	ls.s.Wait()
	text, _ := io.ReadAll(ls.out)
	for _, want := range []string{"GUEST", "s01  ", "attached", "RECORDING", "s01/"} {
		if !strings.Contains(string(text), want) {
			t.Errorf(":lab sessions printed %q, want it to contain %q", text, want)
		}
	}
	list, err := recs.List("s01")
	if err != nil || len(list) != 1 {
		t.Fatalf("recordings of s01: %v, %v; want one", list, err)
	}
	play := openTerminal(t, teacher, ":play "+list[0].ID+" --speed 100")
	readUntil(t, play.out, "seen-by-teacher")
	readUntil(t, play.out, "vmhost: end of recording")

	for _, tt := range []struct {
		key     userKey
		login   string
		command string
		want    string
	}{
		{bob, "bob", ":watch s01", "only a class's teachers may"},
		{s01, "s01", ":lab sessions net101", "only a class's teachers may"},
		{tina, "tina", ":watch bob", "bob is not a student of a class you teach"},
		{tina, "tina", ":watch s02", "s02 has no session now"},
		{tina, "tina", ":lab sessions net102", `you do not teach a class "net102"`},
		{tina, "tina", ":play bob/20261204T000000Z-1.cast", "not a recording of a student of yours"},
	} {
		tm := openTerminal(t, ts.dial(t, tt.login, tt.key), tt.command)
		readUntil(t, tm.out, tt.want)
	}
	r := ts.run(t, sshCmd{key: tina, login: "tina", args: []string{":watch", "s01"}})
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "needs a terminal") {
		t.Errorf(":watch without a terminal: %+v, want refused", r)
	}
	if got := table.List("s01"); len(got) != 1 || !got[0].Attached {
		t.Errorf("the student's session after all that: %+v, want one, attached", got)
	}
}
