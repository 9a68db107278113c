package sshgate

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
	vmsession "vmhost/session"
	"vmhost/session/asciicast"
	"vmhost/session/record"
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

// TestKeptRecording: a recorded user's session is in an asciicast file
// with what showed and what was typed; a recording that cannot be made
// refuses the session when record_fail is closed.
func TestKeptRecording(t *testing.T) {
	requireSSH(t)
	key := newUserKey(t, "alice")
	dir := t.TempDir()
	store := record.NewStore(filepath.Join(dir, "recordings"))
	policy := config.RecordPolicy{On: true, Input: true}
	var mu sync.Mutex
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}}, func(o *Options) {
		o.Sessions = &Sessions{Table: vmsession.NewTable(vmsession.Bounds{DetachTimeout: time.Hour, MaxDetached: 10}, time.Now, nil),
			Recordings: store, Record: func(string) config.RecordPolicy { mu.Lock(); defer mu.Unlock(); return policy }}
	})
	c := ts.dial(t, "alice", key)
	tm := openTerminal(t, c, "")
	tm.typeLine(t, "echo sec''ret")
	readUntil(t, tm.out, "secret")
	tm.typeLine(t, "exit")
	tm.s.Wait()
	var list []record.Entry
	waitUntil(t, "the recording is listed", func() bool { list, _ = store.List("alice"); return len(list) == 1 })
	f, err := store.Open(list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, rd, err := asciicast.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var output, input strings.Builder
	marks := map[string]bool{}
	for {
		e, err := rd.Next()
		if err != nil {
			break
		}
		switch e.Code {
		case asciicast.Output:
			output.WriteString(e.Data)
		case asciicast.Input:
			input.WriteString(e.Data)
		case asciicast.Marker:
			marks[e.Data] = true
		}
	}
	if h.Width != 80 || h.Height != 24 || !strings.Contains(output.String(), "secret") ||
		!strings.Contains(input.String(), "echo sec''ret") || !marks["ended"] {
		t.Errorf("recording: header %+v, output %q, input %q, markers %v", h, output.String(), input.String(), marks)
	}

	mu.Lock()
	policy.FailClosed = true
	mu.Unlock()
	os.RemoveAll(filepath.Join(dir, "recordings"))
	os.WriteFile(filepath.Join(dir, "recordings"), nil, 0o600) // a file where the directory goes
	refused := newSession(t, c)
	if err := refused.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	refused.Stderr = &stderr
	if err := refused.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := refused.Wait(); err == nil || !strings.Contains(stderr.String(), "this session must be recorded") {
		t.Errorf("a session that cannot be recorded with record_fail closed: %v, stderr %q; want refused with a message", err, stderr.String())
	}
}
