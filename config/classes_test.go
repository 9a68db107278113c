package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const carolKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbB3jYmd2g1OG7Q2k5f2xOYzZbS1iN9Bq4eYtrrPU2v carol@pc"

// classConfig writes a configuration with class net101 (teacher alice,
// student bob, roster student carol) and its files into a new directory,
// with extra appended to the class, and returns its path.
func classConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"roster.txt": "# net101\n\ncarol " + carolKey + "\n",
		"setup.sh":   "#!/bin/sh\ntrue\n",
		"check.sh":   "#!/bin/sh\ntrue\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := withKeys(`images: {busybox: {source: busybox}, other: {source: busybox}}
users:
  alice: {keys: ["<alice-key>"]}
  bob: {keys: ["<bob-key>"], limits: {pids: 100}}
classes:
  net101:
    teachers: [alice]
    students: [bob]
    roster: roster.txt
    image: other
    limits: {memory: 256MiB, cpus: 1}
    hosts: {router: {image: busybox, limits: {memory: 128MiB}}, pc: {}}
    links: [[pc, router]]
    setup: setup.sh
    check: check.sh
    open: "2026-12-10T09:00:00Z"
    close: "2026-12-10T12:00:00Z"
    record: true
    idle_stop: 30m
` + extra)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClassLookups(t *testing.T) {
	c, err := testLoader.Load(classConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cl, ok := c.Class("carol")
	if !ok || cl.Name != "net101" || !slices.Equal(cl.Members, []string{"bob", "carol"}) {
		t.Fatalf("Class(carol) = %+v, %v, want net101 with bob and carol", cl, ok)
	}
	if got := cl.Hosts.Names(); !slices.Equal(got, []string{"router", "pc"}) {
		t.Errorf("hosts = %v, want the file's order [router pc]", got)
	}
	if _, ok := c.Class("alice"); ok {
		t.Errorf("Class(alice) found a class for a teacher")
	}
	if !c.Teaches("alice", "carol") || c.Teaches("bob", "carol") || c.Teaches("alice", "alice") {
		t.Errorf("Teaches is wrong")
	}
	if got := c.TeacherOf("alice"); !slices.Equal(got, []string{"net101"}) {
		t.Errorf("TeacherOf(alice) = %v", got)
	}
	for _, tt := range []struct{ owner, guest, want, err string }{
		{"bob", "bob", "router", ""},
		{"bob", "pc", "pc", ""},
		{"bob", "web", "", "log in as bob+router or bob+pc"},
		{"alice", "alice", "alice", ""},
		{"alice", "web", "web", ""},
	} {
		got, err := c.GuestFor(tt.owner, tt.guest)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("GuestFor(%s, %s) = %q, %v, want %q, %q", tt.owner, tt.guest, got, err, tt.want, tt.err)
		}
	}
	if got := c.GuestImage("bob", "router"); got != "busybox" {
		t.Errorf("GuestImage(bob, router) = %s, want the host's busybox", got)
	}
	if got := c.GuestImage("bob", "pc"); got != "other" {
		t.Errorf("GuestImage(bob, pc) = %s, want the class's other", got)
	}
	if got := c.GuestLimits("bob", "router"); got.Memory != 128*MiB || got.CPUs != 1 || got.Pids != 100 {
		t.Errorf("GuestLimits(bob, router) = %+v, want 128MiB, 1 cpu, bob's 100 pids", got)
	}
	if got := c.GuestLimits("carol", "pc"); got.Memory != 256*MiB {
		t.Errorf("GuestLimits(carol, pc) = %+v, want the class's 256MiB", got)
	}
	if got := c.MaxGuestsFor("carol"); got != 2 {
		t.Errorf("MaxGuestsFor(carol) = %d, want 2 (a guest per host)", got)
	}
	if !c.RecordingFor("bob").On || c.RecordingFor("alice").On {
		t.Errorf("class record: true did not reach its students alone")
	}
	if got := c.IdleStopFor("carol"); got != 30*time.Minute {
		t.Errorf("IdleStopFor(carol) = %v, want 30m", got)
	}
	want := []LabLink{{Segment: "net101/carol/0", Iface: "eth1"}}
	if got := c.LinksOf("carol", "pc"); !slices.Equal(got, want) {
		t.Errorf("LinksOf(carol, pc) = %v, want %v", got, want)
	}
	if got := c.LinksOf("alice", "pc"); got != nil {
		t.Errorf("LinksOf(alice, pc) = %v, want none", got)
	}
	wantGuests := []StudentGuest{{"bob", "router"}, {"bob", "pc"}, {"carol", "router"}, {"carol", "pc"}}
	if got := c.ClassGuests("net101"); !slices.Equal(got, wantGuests) {
		t.Errorf("ClassGuests(net101) = %v, want %v", got, wantGuests)
	}
	if _, ok := c.Users["carol"]; !ok || len(c.Users["carol"].Keys) != 1 {
		t.Errorf("the roster did not make carol a user with her key: %+v", c.Users["carol"])
	}
}

func TestClassWindow(t *testing.T) {
	c, err := testLoader.Load(classConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	for _, tt := range []struct {
		user, now, err string
	}{
		{"bob", "2026-12-10T08:59:00Z", "opens at 2026-12-10 09:00 UTC"},
		{"bob", "2026-12-10T09:00:00Z", ""},
		{"bob", "2026-12-10T12:00:00Z", "closed at 2026-12-10 12:00 UTC"},
		{"alice", "2026-12-10T13:00:00Z", ""},
	} {
		err := c.LoginWindow(tt.user, at(tt.now))
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("LoginWindow(%s, %s) = %v, want %q", tt.user, tt.now, err, tt.err)
		}
	}
}

func TestClassProblems(t *testing.T) {
	for _, tt := range []struct{ extra, want string }{
		{"  net102: {teachers: [alice], students: [bob]}\n", "bob is a student of class net101 too"},
		{"  net102: {teachers: [bob]}\n", "bob teaches class net102; a teacher is not a student"},
		{"  net102: {teachers: [nobody]}\n", `no user named "nobody"`},
		{"  net102: {students: [alice]}\n", "a class needs a teacher"},
		{"  Net: {teachers: [alice]}\n", "not a valid class name"},
		{"  net102: {teachers: [alice], hosts: {pc: {}}, links: [[pc]]}\n", "at least two hosts"},
		{"  net102: {teachers: [alice], hosts: {pc: {}}, links: [[pc, srv]]}\n", `no host "srv"`},
		{"  net102: {teachers: [alice], hosts: {PC: {}}}\n", "not a valid host name"},
		{"  net102: {teachers: [alice], setup: nope.sh}\n", "cannot use the script"},
		{"  net102: {teachers: [alice], open: tomorrow}\n", "not a time"},
		{"  net102: {teachers: [alice], open: \"2026-12-10T12:00:00Z\", close: \"2026-12-10T09:00:00Z\"}\n", "not after open"},
		{"  net102: {teachers: [alice], roster: missing.txt}\n", "cannot read the roster"},
		{"  net102: {teachers: [alice], roster: setup.sh}\n", "has no key"},
		{"  net102: {teachers: [alice], roster: roster.txt}\n", "in the roster of class net101 too"},
		{"  net102: {teachers: [alice], hosts: [pc]}\n", "expected hosts and their settings"},
	} {
		_, err := testLoader.Load(classConfig(t, tt.extra))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("with %q: Load = %v, want an error saying %q", tt.extra, err, tt.want)
		}
	}
}

// TestClassFilesNotRegular: a roster or script that is a FIFO is refused at
// once, not waited on.
func TestClassFilesNotRegular(t *testing.T) {
	path := classConfig(t, "")
	fifo := filepath.Join(filepath.Dir(path), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range []string{"  net102: {teachers: [alice], roster: fifo}\n", "  net102: {teachers: [alice], setup: fifo}\n"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(data), "classes:\n", "classes:\n"+extra, 1)
		done := make(chan error, 1)
		go func() { _, err := testLoader.Parse(path, []byte(text)); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
				t.Errorf("with %q: Parse = %v, want the FIFO refused", extra, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("with %q: Parse still waits on the FIFO after 5s", extra)
		}
	}
}
