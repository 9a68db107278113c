package labs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vmhost/config"
	"vmhost/protocol"
)

func TestAllowed(t *testing.T) {
	cfg := testConfig(t, "")
	tests := []struct {
		user, class string
		ok          bool
		says        string
	}{
		{"tina", "net101", true, ""},
		{"tina", "sec201", false, "tina teaches net101, not \"sec201\""},
		{"tina", "nope", false, "not \"nope\""},
		{"s01", "net101", false, "s01 teaches none"},
		{"otto", "net101", false, "otto teaches sec201"},
	}
	for _, tt := range tests {
		err := Allowed(cfg, tt.user, tt.class)
		if (err == nil) != tt.ok || (err != nil && (!errors.Is(err, ErrNotTeacher) || !strings.Contains(err.Error(), tt.says))) {
			t.Errorf("Allowed(%s, %s) = %v, want ok %v saying %q", tt.user, tt.class, err, tt.ok, tt.says)
		}
	}
}

// runLab runs ":lab ARGS" as user and returns its outputs and code.
func runLab(sh *Shell, user, stdin string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := sh.Lab(context.Background(), user, args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return out.String(), errOut.String(), code
}

func TestShellLab(t *testing.T) {
	guests := newFakeGuests("s01", "s02")
	for _, id := range []string{"s01", "s02"} {
		guests.do[id] = func(req protocol.SpawnRequest, _ []byte) ([]byte, int, bool) {
			if id == "s02" {
				return []byte("FAIL: nothing done\n"), 1, false
			}
			return nil, 0, false
		}
	}
	svc, _ := newTestService(t, testConfig(t, "true\n"), guests)
	sh := NewShell(svc)
	tests := []struct {
		user string
		args []string
		code int
		has  string // in the output or the error output
	}{
		{"tina", []string{"ls"}, 0, "net101"},
		{"tina", []string{"status", "net101"}, 0, "LAST LOGIN"},
		{"tina", []string{"check", "net101", "--csv"}, 1, "s02,s02,fail,FAIL: nothing done"},
		{"tina", []string{"check", "net101", "s01"}, 0, "1/1 pass"},
		{"tina", []string{"status", "sec201"}, 1, "tina teaches net101, not \"sec201\""},
		{"otto", []string{"check", "net101"}, 1, "otto teaches sec201, not \"net101\""},
		{"s01", []string{"status", "net101"}, 1, "s01 teaches none"},
		{"s01", []string{"ls"}, 0, "CLASS"},
		{"tina", []string{"rm", "net101"}, 1, "confirm it with --yes"},
		{"tina", []string{"reset", "net101", "s01"}, 1, "confirm it with --yes"},
		{"tina", []string{"frobnicate", "net101"}, 2, "unknown command"},
		{"tina", []string{"check"}, 2, "usage: :lab check CLASS"},
		{"tina", []string{"check", "net101", "--force"}, 2, "unknown flag --force"},
		{"tina", []string{"status", "net101", "s99"}, 1, "no such student \"s99\""},
		{"tina", nil, 0, "Usage: ssh TEACHER@host"},
	}
	for _, tt := range tests {
		out, errOut, code := runLab(sh, tt.user, "", tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.has) {
			t.Errorf(":lab %q as %s = %d\nstdout: %s\nstderr: %s\nwant %d with %q", tt.args, tt.user, code, out, errOut, tt.code, tt.has)
		}
	}
	if calls := strings.Join(guests.calls, ","); strings.Contains(calls, "rm") || strings.Contains(calls, "reset") {
		t.Errorf("refused commands reached the guests: %s", calls)
	}
}

func TestShellLabJSON(t *testing.T) {
	svc, _ := newTestService(t, testConfig(t, "true\n"), newFakeGuests("s01"))
	out, errOut, code := runLab(NewShell(svc), "tina", "", "status", "net101", "--json")
	var rows []Status
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 2 || rows[0].State != "running" || rows[1].State != StateNone {
		t.Errorf("status --json: %v, %d, %q, stderr %q", err, code, out, errOut)
	}
	out, _, _ = runLab(NewShell(svc), "tina", "", "check", "net101", "--json")
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Op != "check" || rep.By != "tina" || len(rep.Results) != 2 {
		t.Errorf("check --json: %v, %q", err, out)
	}
}

func TestShellCheckOwn(t *testing.T) {
	guests := newFakeGuests("s02")
	guests.do["s02"] = func(protocol.SpawnRequest, []byte) ([]byte, int, bool) {
		return []byte("FAIL: \x1b[31mred\n"), 1, false
	}
	svc, dir := newTestService(t, testConfig(t, "true\n"), guests)
	var out, errOut bytes.Buffer
	code := NewShell(svc).Check(context.Background(), "s02", IO{Out: &out, Err: &errOut})
	if code != 1 || out.String() != "s02: fail\n  FAIL: ?[31mred\ncheck net101: 0/1 pass\n" {
		t.Errorf(":check as s02 = %d, %q", code, out.String())
	}
	if runs, _ := filepath.Glob(filepath.Join(dir, "net101", "checks", "*")); len(runs) != 0 {
		t.Errorf("a student's own check was kept: %v", runs)
	}
	if code := NewShell(svc).Check(context.Background(), "tina", IO{Out: io.Discard, Err: &errOut}); code != 1 || !strings.Contains(errOut.String(), "student of no class") {
		t.Errorf(":check as tina = %d, %q", code, errOut.String())
	}
}

func TestShellFiles(t *testing.T) {
	svc, _ := newTestService(t, testConfig(t, "", "pc", "router"), fileGuests())
	sh := NewShell(svc)
	out, errOut, code := runLab(sh, "tina", "", "collect", "net101", "/root/answer.txt")
	if code != 0 || !strings.Contains(errOut, "missing") || !strings.Contains(out, "router answer") {
		t.Errorf("collect: %d, stderr %q", code, errOut)
	}
	_, errOut, code = runLab(sh, "tina", strings.Repeat("x", MaxDistribute+1), "distribute", "net101", "/root/x")
	if code != 1 || !strings.Contains(errOut, "larger than") {
		t.Errorf("distribute of a file too big: %d, %q", code, errOut)
	}
	var o, e bytes.Buffer
	code = sh.Lab(context.Background(), "tina", []string{"collect", "net101", "/root/answer.txt"}, IO{Out: &o, Err: &e, TTY: true})
	if code != 1 || !strings.Contains(e.String(), "without a terminal") || o.Len() != 0 {
		t.Errorf("collect on a terminal: %d, %q, %d bytes out", code, e.String(), o.Len())
	}
}

func TestSetup(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "setup.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho set up\n"), 0o644)
	cfg := testConfig(t, "", "pc")
	cl := cfg.Classes["net101"]
	cl.Setup = script
	cfg.Classes["net101"] = cl
	store := NewStore(filepath.Join(dir, "labs"))
	s := NewSetup(func() *config.Config { return cfg }, store, nil)
	var env []string
	spawn := func(code int) SpawnFunc {
		return func(_ context.Context, req SpawnRequest) (Process, error) {
			env = req.Env
			return startFake(req, func(req protocol.SpawnRequest, stdin []byte) ([]byte, int, bool) {
				if !scriptIs(req, setupScript) || string(stdin) != "#!/bin/sh\necho set up\n" {
					return nil, 99, false
				}
				return nil, code, false
			}), nil
		}
	}
	s.Run(context.Background(), "s01", "pc", spawn(0))
	if r, err := store.Setup("net101", "s01+pc"); err != nil || r == nil || r.Result != SetupOK {
		t.Errorf("setup of s01+pc: %+v, %v", r, err)
	}
	if want := "VMHOST_CLASS=net101 VMHOST_STUDENT=s01 VMHOST_HOST=pc"; !strings.Contains(strings.Join(env, " "), want) {
		t.Errorf("setup's environment %q lacks %s", env, want)
	}
	s.Run(context.Background(), "s02", "pc", spawn(7))
	if r, _ := store.Setup("net101", "s02+pc"); r == nil || r.Result != SetupFailed || r.ExitCode != 7 || !strings.Contains(r.Error, "vmhost-boot.log") {
		t.Errorf("failed setup of s02+pc: %+v", r)
	}
	env = nil
	s.Run(context.Background(), "s01", "web", spawn(0))   // no host of the class
	s.Run(context.Background(), "tina", "tina", spawn(0)) // no student
	if env != nil {
		t.Errorf("setup ran in a guest that is no class host")
	}
	store.SaveSetup("net101", "s01+pc", SetupResult{Result: SetupRunning, Started: time.Now()})
	store.InterruptSetups(time.Now())
	if r, _ := store.Setup("net101", "s01+pc"); r == nil || r.Result != SetupInterrupted {
		t.Errorf("running setup after a restart: %+v", r)
	}
}

func TestOps(t *testing.T) {
	guests := newFakeGuests("s01+pc", "s02+pc")
	guests.guests["s02+pc"].State = "stopped"
	svc, _ := newTestService(t, testConfig(t, "", "pc"), guests)
	ctx := context.Background()
	if rep, err := svc.Provision(ctx, Request{Class: "net101"}, io.Discard); err != nil || rep.Passed != 2 {
		t.Errorf("provision: %v %+v", err, rep)
	}
	svc.Reset(ctx, Request{Class: "net101", Student: "s02"}, io.Discard)
	svc.Stop(ctx, Request{Class: "net101"}, io.Discard)
	svc.Remove(ctx, Request{Class: "net101"}, io.Discard)
	want := "open s01+pc,open s02+pc,reset s02+pc,open s02+pc,stop s01+pc,stop s02+pc,rm s01+pc,rm s02+pc"
	if got := strings.Join(sortedPairs(guests.calls), ","); got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}
	if len(guests.List()) != 0 {
		t.Errorf("guests left after rm: %v", guests.List())
	}
}

// sortedPairs sorts calls within each run of the same op, which run in
// parallel.
func sortedPairs(calls []string) []string {
	out := append([]string(nil), calls...)
	for i := 0; i < len(out); {
		j := i
		op := strings.Fields(out[i])[0]
		for j < len(out) && strings.Fields(out[j])[0] == op {
			j++
		}
		sub := out[i:j]
		for a := range sub {
			for b := a + 1; b < len(sub); b++ {
				if sub[b] < sub[a] {
					sub[a], sub[b] = sub[b], sub[a]
				}
			}
		}
		i = j
	}
	return out
}

func TestSeen(t *testing.T) {
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	s := NewSeen(nil, func(owner, _ string) bool { return owner == "s01" }, func() time.Time { return now })
	s.Opened("s01", "pc")
	now = now.Add(time.Minute)
	if login, act := s.Last("s01+pc"); !login.Equal(now.Add(-time.Minute)) || !act.Equal(now) {
		t.Errorf("while connected: %v %v", login, act)
	}
	s.Closed("s01", "pc")
	now = now.Add(time.Hour)
	if _, act := s.Last("s01+pc"); !act.Equal(now.Add(-time.Hour)) {
		t.Errorf("after the connection: activity %v", act)
	}
	s.Opened("mallory", "x1")
	if len(s.login) != 1 {
		t.Errorf("Seen keeps guests it does not watch: %v", s.login)
	}
}
