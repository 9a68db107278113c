package view

import (
	"bufio"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"vmhost/protocol"
)

func TestNextDelay(t *testing.T) {
	for _, tt := range []struct {
		ran, last, want time.Duration
	}{
		{time.Minute, 0, 0},
		{stableRun, 30 * time.Second, 0},
		{time.Second, 0, firstDelay},
		{time.Second, firstDelay, 2 * firstDelay},
		{0, 40 * time.Second, maxDelay},
		{0, maxDelay, maxDelay},
	} {
		if got := nextDelay(tt.ran, tt.last); got != tt.want {
			t.Errorf("nextDelay(%v, %v) = %v, want %v", tt.ran, tt.last, got, tt.want)
		}
	}
}

func TestParsePid(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1234\n", 1234, true},
		{" 77 ", 77, true},
		{"1\n", 1, false},
		{"0", 0, false},
		{"-5", -5, false},
		{"", 0, false},
		{"12ab", 0, false},
	} {
		got, ok := parsePid([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parsePid(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsServerOf(t *testing.T) {
	const bin, mnt = "/usr/bin/lxcfs", "/run/vmhost/view/lxcfs"
	args := "lxcfs\x00--foreground\x00--pidfile=/run/vmhost/view/lxcfs.pid\x00" + mnt + "\x00"
	for _, tt := range []struct {
		name, exe, cmdline string
		want               bool
	}{
		{"ours", bin, args, true},
		{"upgraded since", bin + " (deleted)", args, true},
		{"mount point with a slash", bin, "lxcfs\x00" + mnt + "/\x00", true},
		{"other binary", "/usr/bin/sleep", args, false},
		{"other mount point", bin, "lxcfs\x00/var/lib/lxcfs\x00", false},
		{"no argument", bin, "lxcfs\x00", false},
		{"empty", bin, "", false},
	} {
		if got := isServerOf(tt.exe, []byte(tt.cmdline), bin, mnt); got != tt.want {
			t.Errorf("isServerOf(%s: %q, %q) = %v, want %v", tt.name, tt.exe, tt.cmdline, got, tt.want)
		}
	}
}

func TestOffered(t *testing.T) {
	has := map[string]bool{"proc/meminfo": true, "sys/devices/system/cpu/online": true}
	got := offered([]string{"/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu/online"}, func(rel string) bool { return has[rel] })
	want := []string{"/proc/meminfo", "/sys/devices/system/cpu/online"}
	if !slices.Equal(got, want) {
		t.Errorf("offered = %q, want %q", got, want)
	}
}

func TestWindowLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := windowLimiter{now: func() time.Time { return now }}
	for i := 0; i < logBurst; i++ {
		if _, ok := l.allow(); !ok {
			t.Fatalf("line %d refused, want %d allowed at once", i, logBurst)
		}
	}
	for i := 0; i < 5; i++ {
		if _, ok := l.allow(); ok {
			t.Fatalf("line %d past the burst allowed", logBurst+i)
		}
	}
	now = now.Add(logWindow)
	if dropped, ok := l.allow(); !ok || dropped != 5 {
		t.Errorf("first line of the next window: allow() = %d, %v; want 5 dropped, true", dropped, ok)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 3*logLine)
	br := bufio.NewReaderSize(strings.NewReader("one\n"+long+"\ntwo"), logLine)
	var got []string
	for {
		line, err := readLine(br)
		if line != "" {
			got = append(got, line)
		}
		if err != nil {
			break
		}
	}
	want := []string{"one", strings.Repeat("x", logLine) + " [cut]", "two"}
	if !slices.Equal(got, want) {
		t.Errorf("readLine lines = %q, want %q", got, want)
	}
}

func TestLineLevel(t *testing.T) {
	for _, tt := range []struct {
		line string
		ran  time.Duration
		want slog.Level
	}{
		{"mount namespace: 4", 0, slog.LevelDebug},
		{"Failed to open cgroup", 0, slog.LevelWarn},
		{"Some error here", time.Minute, slog.LevelWarn},
		{"Internal error", 0, slog.LevelWarn},
		{"anything later", time.Minute, slog.LevelInfo},
	} {
		if got := lineLevel(tt.line, tt.ran); got != tt.want {
			t.Errorf("lineLevel(%q, %v) = %v, want %v", tt.line, tt.ran, got, tt.want)
		}
	}
}

func TestKindsServeEveryViewFile(t *testing.T) {
	var got []string
	for _, k := range []Kind{LXCFS, StatKind("/p")} {
		got = append(got, k.files...)
		if k.probe == "" || !slices.Contains(k.files, "/"+strings.TrimPrefix(k.probeRel(), k.filesDir("probe"))) {
			t.Errorf("kind %s probes %q, not one of its files %q", k.name, k.probe, k.files)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, protocol.ViewFiles) {
		t.Errorf("the kinds' files = %q, want each of protocol.ViewFiles once: %q", got, protocol.ViewFiles)
	}
}

func TestFilesDir(t *testing.T) {
	if got := LXCFS.filesDir("alice"); got != "" {
		t.Errorf("LXCFS.filesDir(alice) = %q, want none: lxcfs serves every guest at its root", got)
	}
	if got := StatKind("/p").filesDir("alice"); got != "alice/" {
		t.Errorf("StatKind.filesDir(alice) = %q, want alice/", got)
	}
}
