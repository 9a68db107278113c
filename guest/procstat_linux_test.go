package guest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/prometheus/procfs"
)

// fakeProc returns a proc file system in a temporary directory with the
// file name of each pid holding its content.
func fakeProc(t *testing.T, name string, files map[int]string) procfs.FS {
	t.Helper()
	dir := t.TempDir()
	for pid, content := range files {
		pidDir := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(pidDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pidDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := procfs.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// statRest are the fields of a /proc/PID/stat line after its start time.
const statRest = " 3133440 382 18446744073709551615 94401491668992 94401491688873 140730695414128 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0" +
	" 94401491704880 94401491706496 94402547273728 140730695420415 140730695420435 140730695420435 140730695421931 0\n"

func TestProcStart(t *testing.T) {
	tests := []struct {
		line   string
		start  uint64
		zombie bool
		ok     bool
	}{
		{"1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 42" + statRest, 42, false, true},
		{"7 (a b) c)) Z 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 99" + statRest, 99, true, true},
		{"7 (x) S 1 2", 0, false, false},
		{"garbage", 0, false, false},
	}
	for _, tt := range tests {
		fs := fakeProc(t, "stat", map[int]string{7: tt.line})
		start, zombie, err := procStartIn(fs, 7)
		if (err == nil) != tt.ok || start != tt.start || zombie != tt.zombie {
			t.Errorf("procStart of %q = %d, %v, %v; want %d, %v, ok=%v", tt.line, start, zombie, err, tt.start, tt.zombie, tt.ok)
		}
	}
	if _, _, err := procStartIn(fakeProc(t, "stat", nil), 7); err == nil {
		t.Errorf("procStart of a process that is gone = nil error, want one")
	}
}

func TestReattachInit(t *testing.T) {
	start, _, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pid   int
		start uint64
		want  bool
	}{
		{os.Getpid(), start, true},
		{os.Getpid(), start + 1, false}, // the pid was reused, as after a host reboot
		{0, 0, false},
		{1, 0, false},
	}
	for _, tt := range tests {
		p, err := reattachInit(tt.pid, tt.start)
		if got := err == nil && p.alive(); got != tt.want {
			t.Errorf("reattachInit(%d, %d) alive = %v (%v), want %v", tt.pid, tt.start, got, err, tt.want)
		}
	}
}
