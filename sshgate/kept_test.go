package sshgate

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
	vmsession "vmhost/session"
)

// keptServer starts a server that keeps alice's terminal sessions, and
// returns it with alice's key.
func keptServer(t *testing.T, b vmsession.Bounds) (*testServer, userKey, *vmsession.Table) {
	t.Helper()
	requireSSH(t)
	key := newUserKey(t, "alice")
	table := vmsession.NewTable(b, time.Now, nil)
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}}, func(o *Options) {
		o.Sessions = &Sessions{Table: table}
	})
	return ts, key, table
}

// terminal is a pty session of the Go client: what is typed and what shows.
type terminal struct {
	s   *ssh.Session
	in  io.Writer
	out *bufio.Reader
}

// openTerminal opens a pty session on c that runs the login shell, or
// command when not "".
func openTerminal(t *testing.T, c *ssh.Client, command string) *terminal {
	t.Helper()
	s := newSession(t, c)
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		t.Fatalf("RequestPty: %v", err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if command == "" {
		err = s.Shell()
	} else {
		err = s.Start(command)
	}
	if err != nil {
		t.Fatalf("starting %q: %v", command, err)
	}
	return &terminal{s: s, in: in, out: bufio.NewReader(out)}
}

// typeLine types a line into the terminal.
func (tm *terminal) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(tm.in, line+"\r"); err != nil {
		t.Fatalf("typing %q: %v", line, err)
	}
}

// TestKeptReattach: a shell whose connection drops keeps its state, and the
// next interactive login gets it back, saying so.
func TestKeptReattach(t *testing.T) {
	ts, key, table := keptServer(t, vmsession.Bounds{DetachTimeout: time.Hour, MaxDetached: 10})
	c1 := ts.dial(t, "alice", key)
	tm := openTerminal(t, c1, "")
	tm.typeLine(t, "cd /tmp; X=42; echo ma''rk")
	readUntil(t, tm.out, "mark")
	c1.Close() // the connection drops
	waitUntil(t, "the session is detached", func() bool {
		l := table.List("alice")
		return len(l) == 1 && !l[0].Attached
	})

	c2 := ts.dial(t, "alice", key)
	tm2 := openTerminal(t, c2, "")
	readUntil(t, tm2.out, "vmhost: reattached to session 1, detached")
	tm2.typeLine(t, "echo \"[$X $PWD]\"")
	readUntil(t, tm2.out, "[42 /tmp]")
	tm2.typeLine(t, "exit 5")
	err := tm2.s.Wait()
	if e, ok := err.(*ssh.ExitError); !ok || e.ExitStatus() != 5 {
		t.Errorf("the reattached shell's exit = %v, want status 5", err)
	}
	waitUntil(t, "the ended session leaves the table", func() bool { return len(table.List("alice")) == 0 })
}

// TestKeptCommands: :ls lists, :new starts a fresh shell even with one
// detached, :attach N takes a session over, :kill N hangs one up; a command
// without a terminal runs as always.
func TestKeptCommands(t *testing.T) {
	ts, key, table := keptServer(t, vmsession.Bounds{DetachTimeout: time.Hour, MaxDetached: 10})
	c := ts.dial(t, "alice", key)
	first := openTerminal(t, c, "")
	first.typeLine(t, "echo fi''rst")
	readUntil(t, first.out, "first")
	first.s.Close() // the client closes the channel: detached

	waitUntil(t, "session 1 is detached", func() bool { l := table.List("alice"); return len(l) == 1 && !l[0].Attached })
	fresh := openTerminal(t, c, ":new")
	fresh.typeLine(t, "echo \"fresh[$X]\"")
	readUntil(t, fresh.out, "fresh[]")

	ls := openTerminal(t, c, ":ls")
	text := readUntil(t, ls.out, "attached")
	ls.s.Wait()
	rest, _ := io.ReadAll(ls.out)
	text += string(rest)
	for _, want := range []string{"SESSION", "1  ", "detached", "2  ", "(login shell)", "80x24"} {
		if !strings.Contains(text, want) {
			t.Errorf(":ls printed %q, want it to contain %q", text, want)
		}
	}

	again := openTerminal(t, c, ":attach 2")
	readUntil(t, again.out, "vmhost: attached to session 2, taken over")
	if err := fresh.s.Wait(); err != nil {
		t.Errorf("the session taken over ended with %v, want status 0", err)
	}
	out, err := newSession(t, c).CombinedOutput("echo plain")
	if err != nil || string(out) != "plain\n" {
		t.Errorf("a command without a terminal: %q, %v; want plain", out, err)
	}

	kill := openTerminal(t, c, ":kill 1")
	readUntil(t, kill.out, "vmhost: session 1 hung up")
	waitUntil(t, "session 1 ends", func() bool { return len(table.List("alice")) == 1 })
	bad := openTerminal(t, c, ":attach 9")
	readUntil(t, bad.out, "no session 9 in this guest")
}

// waitUntil polls cond for up to sshTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(sshTimeout); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}
