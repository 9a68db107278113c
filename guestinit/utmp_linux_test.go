package guestinit

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// requireTool returns the path of a host tool, skipping without it.
func requireTool(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping: %s is missing (%v)", path, err)
	}
	return path
}

// loginTree makes a guest-like tree at a temp dir: /var/run a symlink to
// /run, /var/log, /etc/passwd with root; and opens its login files.
func loginTree(t *testing.T) (string, *loginFiles) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"run", "var/log", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../run", filepath.Join(dir, "var/run")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openLoginFiles(dir)
	if errors.Is(err, errNoLayout) {
		t.Skip("skipping:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return dir, f
}

// TestEncodeMatchesUtmpdump compares encode with the record the host's
// utmpdump -r (util-linux, through glibc's struct utmp) makes of the same
// fields.
func TestEncodeMatchesUtmpdump(t *testing.T) {
	utmpdump := requireTool(t, "/usr/bin/utmpdump")
	l, ok := utmpLayouts[runtime.GOARCH]
	if !ok {
		t.Skip("skipping: no layout for", runtime.GOARCH)
	}
	tests := []struct {
		text string
		r    loginRecord
	}{
		{
			"[7] [04321] [ts/3] [root    ] [pts/3       ] [198.51.100.9        ] [198.51.100.9   ] [2026-12-04T20:30:00,123456+00:00]\n",
			loginRecord{Type: utUserProcess, PID: 4321, Line: "pts/3", ID: "ts/3", User: "root", Host: "198.51.100.9",
				Addr: netip.MustParseAddr("198.51.100.9"), Time: time.Date(2026, 12, 4, 20, 30, 0, 123456000, time.UTC)},
		},
		{
			"[8] [04321] [ts/3] [        ] [pts/3       ] [                    ] [0.0.0.0        ] [2026-12-04T20:31:05,000007+00:00]\n",
			loginRecord{Type: utDeadProcess, PID: 4321, Line: "pts/3", ID: "ts/3", Time: time.Date(2026, 12, 4, 20, 31, 5, 7000, time.UTC)},
		},
		{
			"[7] [00077] [/123] [root    ] [pts/123     ] [2001:db8::9         ] [2001:db8::9    ] [2026-12-04T20:30:00,000000+00:00]\n",
			loginRecord{Type: utUserProcess, PID: 77, Line: "pts/123", ID: "/123", User: "root", Host: "2001:db8::9",
				Addr: netip.MustParseAddr("2001:db8::9"), Time: time.Date(2026, 12, 4, 20, 30, 0, 0, time.UTC)},
		},
	}
	for _, tt := range tests {
		cmd := exec.Command(utmpdump, "-r")
		cmd.Stdin = strings.NewReader(tt.text)
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("utmpdump -r: %v", err)
		}
		if got := l.encode(tt.r); !bytes.Equal(got, want) {
			t.Errorf("encode(%+v) =\n%x\nutmpdump -r of %q =\n%x", tt.r, got, tt.text, want)
		}
	}
}

// TestLoginFilesWithHostTools records a login and a logout in a tree of
// their own and reads them back with the host's who, last and lastlog.
func TestLoginFilesWithHostTools(t *testing.T) {
	who := requireTool(t, "/usr/bin/who")
	last := requireTool(t, "/usr/bin/last")
	dir, f := loginTree(t)
	login := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	r := loginRecord{Type: utUserProcess, PID: 4321, Line: "pts/7", ID: "ts/7", User: "root", Host: "198.51.100.9",
		Addr: netip.MustParseAddr("198.51.100.9"), Time: login}
	other := r
	other.Line, other.ID, other.PID, other.Host = "pts/8", "ts/8", 4400, "192.0.2.1"
	for _, rec := range []loginRecord{r, other} {
		if err := f.recordLogin(rec); err != nil {
			t.Fatalf("recordLogin: %v", err)
		}
	}
	utmp := filepath.Join(dir, "run/utmp")
	out := mustOutput(t, who, utmp)
	if !matches(`(?m)^root +pts/7 .*\(198\.51\.100\.9\)$`, out) || !strings.Contains(out, "pts/8") {
		t.Errorf("who %s after two logins = %q, want root on pts/7 from 198.51.100.9 and pts/8", utmp, out)
	}
	if err := f.recordLogout("pts/7", 4321, login.Add(time.Minute)); err != nil {
		t.Fatalf("recordLogout: %v", err)
	}
	if out := mustOutput(t, who, utmp); strings.Contains(out, "pts/7") || !strings.Contains(out, "pts/8") {
		t.Errorf("who %s after the logout of pts/7 = %q, want only pts/8", utmp, out)
	}
	if fi, err := os.Stat(utmp); err != nil || fi.Size() != int64(2*f.layout.size) {
		t.Errorf("utmp after logout: %v, %v; want 2 records (the slot reused)", fi, err)
	}
	wtmp := filepath.Join(dir, "var/log/wtmp")
	out = mustOutput(t, last, "-f", wtmp, "--time-format", "iso", "-a")
	if !matches(`(?m)^root +pts/7 .* - \S+ +\(00:01\) +198\.51\.100\.9$`, out) || !matches(`(?m)^root +pts/8 .*(still logged in|gone - no logout)`, out) {
		t.Errorf("last -f %s = %q, want pts/7 for a minute from 198.51.100.9 and pts/8 still on", wtmp, out)
	}
	if os.Geteuid() == 0 {
		lastlog := requireTool(t, "/usr/bin/lastlog")
		out := mustOutput(t, lastlog, "-R", dir, "-u", "root")
		if !matches(`(?m)^root +pts/8 +192\.0\.2\.1 `, out) {
			t.Errorf("lastlog -R %s -u root = %q, want the last login, pts/8 from 192.0.2.1", dir, out)
		}
	}
}

// mustOutput runs a host tool and returns its output.
func mustOutput(t *testing.T, path string, args ...string) string {
	t.Helper()
	out, err := exec.Command(path, args...).CombinedOutput()
	// A spawner an earlier test of this process made reaps every child
	// (wait4(-1)): ECHILD means it collected this one's exit first; the
	// output is whole, as the pipes were read to their end.
	if err != nil && !errors.Is(err, syscall.ECHILD) {
		t.Fatalf("%s %q: %v: %s", path, args, err, out)
	}
	return string(out)
}

// matches says whether s matches the regular expression re.
func matches(re, s string) bool {
	return regexp.MustCompile(re).MatchString(s)
}

// TestLoginFilesRefuseOddFiles checks what a guest's root can put in place
// of the login files: a FIFO, a symlink, a directory or a held lock fail
// that file quickly, touching nothing else; a missing directory is
// skipped without being made.
func TestLoginFilesRefuseOddFiles(t *testing.T) {
	r := loginRecord{Type: utUserProcess, PID: 1, Line: "pts/0", ID: "ts/0", User: "root", Time: time.Now()}
	dir, f := loginTree(t)
	if err := unix.Mkfifo(filepath.Join(dir, "run/utmp"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "var/log/wtmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "var/log/lastlog"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := f.recordLogin(r)
	if !errors.Is(err, inroot.ErrNotRegular) || !errors.Is(err, unix.ELOOP) {
		t.Errorf("recordLogin over a FIFO, a symlink and a directory = %v, want not regular and ELOOP", err)
	}
	if passwd, _ := os.ReadFile(filepath.Join(dir, "etc/passwd")); !bytes.HasPrefix(passwd, []byte("root:x:0:0")) {
		t.Errorf("/etc/passwd behind the wtmp symlink changed: %q", passwd)
	}
	if d := time.Since(start); d > utmpLockTimeout {
		t.Errorf("recordLogin over odd files took %v", d)
	}

	dir, f = loginTree(t)
	os.RemoveAll(filepath.Join(dir, "var/log"))
	if err := f.recordLogin(r); err != nil {
		t.Errorf("recordLogin without /var/log = %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "var/log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/var/log after recordLogin: %v, want it still missing", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run/utmp")); err != nil {
		t.Errorf("utmp in the /run that exists: %v", err)
	}

	holder, err := os.OpenFile(filepath.Join(dir, "run/utmp"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := unix.FcntlFlock(holder.Fd(), unix.F_SETLK, &unix.Flock_t{Type: unix.F_RDLCK}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := f.recordLogin(r); err == nil || !strings.Contains(err.Error(), "locking") {
		t.Errorf("recordLogin with utmp locked = %v, want a locking error", err)
	}
	if d := time.Since(start); d < utmpLockTimeout || d > utmpLockTimeout+5*time.Second {
		t.Errorf("recordLogin with utmp locked took %v, want about %v", d, utmpLockTimeout)
	}
}

// TestLoginFilesBoot: a guest's start empties utmp of its last run's
// logins and records the boot, as who -b and last reboot read it.
func TestLoginFilesBoot(t *testing.T) {
	who := requireTool(t, "/usr/bin/who")
	last := requireTool(t, "/usr/bin/last")
	dir, f := loginTree(t)
	stale := loginRecord{Type: utUserProcess, PID: 4321, Line: "pts/3", ID: "ts/3", User: "root", Time: time.Now().Add(-time.Hour)}
	if err := f.recordLogin(stale); err != nil {
		t.Fatal(err)
	}
	boot := time.Now().Truncate(time.Second)
	if err := f.recordBoot(boot); err != nil {
		t.Fatalf("recordBoot: %v", err)
	}
	utmp := filepath.Join(dir, "run/utmp")
	if fi, err := os.Stat(utmp); err != nil || fi.Size() != int64(f.layout.size) {
		t.Errorf("utmp after the boot: %v, %v; want the boot record alone", fi, err)
	}
	if out := mustOutput(t, who, "-b", utmp); !strings.Contains(out, "system boot") || !strings.Contains(out, boot.Format("15:04")) {
		t.Errorf("who -b %s = %q, want the boot at %s", utmp, out, boot.Format("15:04"))
	}
	if out := mustOutput(t, who, utmp); strings.Contains(out, "pts/3") {
		t.Errorf("who %s after the boot = %q, want the last run's login gone", utmp, out)
	}
	wtmp := filepath.Join(dir, "var/log/wtmp")
	if out := mustOutput(t, last, "-f", wtmp, "reboot"); !strings.Contains(out, "reboot") {
		t.Errorf("last -f %s reboot = %q, want the boot", wtmp, out)
	}
}
