package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// classDaemon starts a daemon whose config has class net101 (teacher tina,
// student s01 of users:, s02 of a roster; hosts pc and router) and class
// late, not open yet (teacher tina, student s03), with extra appended to
// net101's block. The users' keys are the daemon's like alice's.
func classDaemon(t *testing.T, extra string) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	keyDir := filepath.Join(d.baseDir, "keys")
	var roster strings.Builder
	for _, u := range []string{"tina", "s01", "s02", "s03"} {
		var pub string
		d.keys[u], pub = makeKey(t, keyDir, u)
		if u == "s02" {
			roster.WriteString("s02 " + pub + "\n")
		} else {
			d.cfg.keys[u] = pub
		}
	}
	if err := os.WriteFile(filepath.Join(d.baseDir, "net101.txt"), []byte(roster.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	open := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	d.writeConfig(t, d.cfg.yaml()+`classes:
  net101:
    teachers: [tina]
    students: [s01]
    roster: net101.txt
    hosts: {pc: {}, router: {}}
`+extra+`  late:
    teachers: [tina]
    students: [s03]
    open: "`+open+`"
`)
	d.start(t)
	return d
}

// TestClassLogins: a student's plain login reaches the class's first host,
// STUDENT+HOST another; the teacher's key opens every student's guest and
// the audit names the teacher; a student's key opens no one else's guest;
// a host the class has not and a class not open yet are refused with the
// reason, the latter for students only.
func TestClassLogins(t *testing.T) {
	d := classDaemon(t, "")
	if got := d.mustSSH(t, "s01", "hostname"); got != "pc\n" {
		t.Errorf("ssh s01@host hostname = %q, want pc", got)
	}
	if got := d.mustSSH(t, "s01+router", "hostname"); got != "router\n" {
		t.Errorf("ssh s01+router@host hostname = %q, want router", got)
	}
	out, errOut, code := d.sshWithKey(t, d.keys["tina"], "s02+router", "hostname")
	if code != 0 || out != "router\n" {
		t.Fatalf("tina's key as s02+router: %q, %q, %d; want router", out, errOut, code)
	}
	audit := regexp.MustCompile(`msg=login audit=true outcome=accepted user=s02\+router owner=s02 guest=router .*via="tina keys\[0\]" actor=tina`)
	if !audit.MatchString(d.log()) {
		t.Errorf("no login audit line names tina as the actor of s02+router:\n%s", grepLines(d.log(), "s02"))
	}
	for _, tt := range []struct{ key, login string }{
		{"s01", "s02"}, {"s01", "s02+router"}, {"s02", "s01"}, {"s01", "tina"}, {"s03", "s01"},
	} {
		if _, errOut, code := d.sshWithKey(t, d.keys[tt.key], tt.login, "true"); code != 255 || !strings.Contains(errOut, "Permission denied") {
			t.Errorf("%s's key as %s: exit %d, %q; want the key refused", tt.key, tt.login, code, errOut)
		}
	}
	if _, errOut, code := d.ssh(t, "s01+web", "true"); code == 0 || !strings.Contains(errOut, "class net101 has no host \"web\"; log in as s01+pc or s01+router") {
		t.Errorf("s01+web: exit %d, %q; want refused naming the hosts", code, errOut)
	}
	if _, errOut, code := d.ssh(t, "s03", "true"); code == 0 || !strings.Contains(errOut, "class late opens at") {
		t.Errorf("s03 before the class opens: exit %d, %q; want refused with the time", code, errOut)
	}
	if out, errOut, code := d.sshWithKey(t, d.keys["tina"], "s03", "hostname"); code != 0 || out != "s03\n" {
		t.Errorf("tina's key as s03 before the class opens: %q, %q, %d; want in (teachers may)", out, errOut, code)
	}
}

// TestClassWatch: the teacher watches a student's terminal over SSH with
// the real client: the student is told, the teacher sees what the student
// types, and the teacher's keys go nowhere until the teacher joins.
func TestClassWatch(t *testing.T) {
	d := classDaemon(t, "")
	student := d.sshPTY(t, "s01", 24, 80)
	student.expect(regexp.MustCompile(`root@pc:~# `), sshTimeout)
	student.write("echo ready\r")
	student.expect(regexp.MustCompile(`ready`), sshTimeout)

	watch := d.sshPTY(t, "tina", 24, 80, ":watch s01")
	student.expect(regexp.MustCompile(`tina \(teacher\) is watching this session`), sshTimeout)
	student.write("echo from-''student\r")
	watch.expect(regexp.MustCompile(`from-student`), sshTimeout)
	watch.write("echo from-''watcher\r")
	watch.write("\x1d")
	watch.expect(regexp.MustCompile(`left session 1 of s01\+pc`), sshTimeout)
	student.expect(regexp.MustCompile(`no longer watching`), sshTimeout)
	student.write("echo after\r")
	if got := student.expect(regexp.MustCompile(`after\r\n`), sshTimeout); strings.Contains(strings.Join(got, ""), "from-watcher") {
		t.Errorf("a watcher's keys reached the session")
	}
	if !strings.Contains(d.log(), `msg="session watched" audit=true`) {
		t.Errorf("no audit line for the watch:\n%s", grepLines(d.log(), "watch"))
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
