package sshgate

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"vmhost/config"
)

// fakeLinks records the links asked for.
type fakeLinks struct {
	mu    sync.Mutex
	asked [][3]string // person, owner, guest
}

func (f *fakeLinks) Link(person, owner, guest string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, [3]string{person, owner, guest})
	return "https://host:8443/login#SECRET-" + person, nil
}

func TestWebCommand(t *testing.T) {
	requireSSH(t)
	alice, tina := newUserKey(t, "alice"), newUserKey(t, "tina")
	users := map[string]config.User{"alice": {Keys: []string{alice.pub}}, "tina": {Keys: []string{tina.pub}}}
	links := &fakeLinks{}
	var logs logBuffer
	ts := startServer(t, users, captureLog(t, &logs), func(o *Options) {
		o.Web = links
		o.Users = WithTeachers(o.Users, func(owner string) []string {
			if owner == "alice" {
				return []string{"tina"}
			}
			return nil
		})
	})
	tests := []struct {
		name  string
		c     sshCmd
		asked [3]string
	}{
		{"without a terminal", sshCmd{key: alice, login: "alice", args: []string{":web"}}, [3]string{"alice", "alice", "alice"}},
		{"with a terminal, another guest", sshCmd{key: alice, login: "alice+box", opts: []string{"-tt"}, args: []string{":web"}}, [3]string{"alice", "alice", "box"}},
		{"a teacher's key in a student's guest", sshCmd{key: tina, login: "alice", args: []string{":web"}}, [3]string{"tina", "alice", "alice"}},
	}
	for _, tt := range tests {
		res := ts.run(t, tt.c)
		if res.code != 0 || !strings.Contains(res.stdout, "https://host:8443/login#SECRET-"+tt.asked[0]) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want the link", tt.name, res.code, res.stdout, res.stderr)
		}
		links.mu.Lock()
		last := links.asked[len(links.asked)-1]
		links.mu.Unlock()
		if last != tt.asked {
			t.Errorf("%s: link asked for %v, want %v", tt.name, last, tt.asked)
		}
	}
	if len(ts.guests.openCalls()) != 0 {
		t.Errorf(":web opened guests %v; it opens none", ts.guests.openCalls())
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Error("the log holds a link's token")
	}
	if !strings.Contains(logs.String(), `msg="web link"`) {
		t.Errorf("no audit line of the link:\n%s", logs.String())
	}
	if res := ts.run(t, sshCmd{key: alice, login: "alice", args: []string{":webx"}}); slices.Contains(strings.Fields(res.stdout), "https://host:8443/login#SECRET-alice") {
		t.Errorf(":webx printed a link: %q", res.stdout)
	}
}

func TestWebCommandRefused(t *testing.T) {
	key := newUserKey(t, "alice")
	ts, _ := keysServer(t, "no-pty "+key.pub+"\n", func(o *Options) { o.Web = &fakeLinks{} })
	if res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{":web"}}); res.code == 0 || !strings.Contains(res.stdout, "no-pty") {
		t.Errorf(":web with a no-pty key: exit %d, stdout %q; want refused", res.code, res.stdout)
	}
	ts, _ = keysServer(t, key.pub+"\n")
	if res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{":web"}}); res.code == 0 || !strings.Contains(res.stdout, "no browser terminal") {
		t.Errorf(":web without web.listen: exit %d, stdout %q; want refused with the reason", res.code, res.stdout)
	}
}
