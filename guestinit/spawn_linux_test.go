package guestinit

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"vmhost/protocol"
)

// testSpawner is the one spawner of the test process: it reaps every child
// of the process, so there can be only one.
var testSpawner struct {
	once sync.Once
	sp   *spawner
	err  error
}

// requireSpawner returns the test process's spawner, skipping without root
// (the fork thread's seccomp filter and capability drop need it).
func requireSpawner(t testing.TB) *spawner {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: the spawner's fork thread needs root (seccomp filter without no_new_privs)")
	}
	testSpawner.once.Do(func() {
		testSpawner.sp, testSpawner.err = newSpawner(slog.New(slog.NewTextHandler(io.Discard, nil)))
		if testSpawner.err == nil {
			go testSpawner.sp.reap()
		}
	})
	if testSpawner.err != nil {
		t.Fatal(testSpawner.err)
	}
	return testSpawner.sp
}

// finish reads a spawned process's stdout and stderr (or its terminal) to
// the end and waits for its exit.
func finish(t *testing.T, p *spawned) (out, errOut string, st protocol.ExitStatus) {
	t.Helper()
	defer closeFiles(p.files)
	var bufs [2]bytes.Buffer
	var wg sync.WaitGroup
	readers := p.files[1:]
	if len(p.files) == 1 {
		readers = p.files // the terminal's master
	} else {
		p.files[0].Close() // stdin
	}
	for i, f := range readers {
		wg.Add(1)
		go func() { defer wg.Done(); io.Copy(&bufs[i], f) }()
	}
	select {
	case st = <-p.exit:
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not end")
	}
	if len(p.files) == 1 {
		p.files[0].SetReadDeadline(time.Now().Add(time.Second)) // EIO or EOF once the slave is gone
	}
	wg.Wait()
	return bufs[0].String(), bufs[1].String(), st
}

func TestSpawnThroughIncubator(t *testing.T) {
	sp := requireSpawner(t)
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "X=from-env"}
	tests := []struct {
		name     string
		req      protocol.SpawnRequest
		want     string // stdout, or the terminal's output
		wantErr  string
		wantCode int
	}{
		{"pipes", protocol.SpawnRequest{Argv: []string{"sh", "-c", "echo $X; echo err >&2; pwd; exit 3"}, Env: env, Dir: "/tmp"},
			"from-env\n/tmp\n", "", 3},
		{"missing dir", protocol.SpawnRequest{Argv: []string{"sh", "-c", "pwd"}, Env: env, Dir: "/nonexistent"},
			workDir("") + "\n", "", 0},
		{"direct", protocol.SpawnRequest{Argv: []string{"/bin/sh", "-c", "echo $X; pwd; exit 4"}, Env: env, Dir: "/tmp"},
			"from-env\n/tmp\n", "", 4},
		{"direct, missing dir", protocol.SpawnRequest{Argv: []string{"/bin/sh", "-c", "pwd"}, Env: env, Dir: "/nonexistent"},
			workDir("") + "\n", "", 0},
		{"unknown subsystem", protocol.SpawnRequest{Subsystem: "x"}, "", `unknown subsystem "x"`, 0},
		{"terminal", protocol.SpawnRequest{Argv: []string{"sh", "-c", "stty size; tty; ps -o tty= -p $$"}, Env: env,
			TTY: &protocol.TTY{Term: "xterm", Rows: 31, Cols: 101}},
			"31 101\r\n/dev/pts/", "", 0},
		{"not found", protocol.SpawnRequest{Argv: []string{"no-such-command-here"}, Env: env},
			"", "no-such-command-here: command not found", 0},
		{"exec fails", protocol.SpawnRequest{Argv: []string{"/nonexistent/x"}, Env: env},
			"", "starting /nonexistent/x: no such file or directory", 0},
		{"no command", protocol.SpawnRequest{Env: env}, "", "spawn request without a command", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sp.spawn(&tt.req)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("spawn(%v) = %v, want error %q", tt.req.Argv, err, tt.wantErr)
				}
				if err == nil {
					finish(t, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("spawn(%v) = %v", tt.req.Argv, err)
			}
			out, _, st := finish(t, p)
			if !strings.HasPrefix(out, tt.want) || st.Code != tt.wantCode {
				t.Errorf("spawn(%v): output %q, exit %d; want output starting %q, exit %d", tt.req.Argv, out, st.Code, tt.want, tt.wantCode)
			}
		})
	}
}

func TestSpawnSFTPSubsystem(t *testing.T) {
	sp := requireSpawner(t)
	p, err := sp.spawn(&protocol.SpawnRequest{Subsystem: "sftp"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFiles(p.files)
	// The server ends, content, when its stdin does.
	out, errOut, st := finish(t, p)
	if st.Code != 0 || out != "" || errOut != "" {
		t.Errorf("sftp subsystem at the end of its input: exit %d, stdout %q, stderr %q; want 0 and nothing", st.Code, out, errOut)
	}
}

func TestSpawnResetsOOMScoreAdj(t *testing.T) {
	sp := requireSpawner(t)
	// As the init's (-999), the test process's oom_score_adj is made lower
	// than the default: a process started must get 0.
	old, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte("-7"), 0); err != nil {
		t.Skipf("skipping: lowering our oom_score_adj needs CAP_SYS_RESOURCE: %v", err)
	}
	defer os.WriteFile("/proc/self/oom_score_adj", old, 0)
	p, err := sp.spawn(&protocol.SpawnRequest{Argv: []string{"/bin/cat", "/proc/self/oom_score_adj"}})
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := finish(t, p); out != "0\n" {
		t.Errorf("oom_score_adj of a spawned process = %q, want 0", out)
	}
}

// BenchmarkSpawn starts /bin/true through the incubator and waits for it:
// what PID 1 adds to every session's start.
func BenchmarkSpawn(b *testing.B) {
	sp := requireSpawner(b)
	for b.Loop() {
		p, err := sp.spawn(&protocol.SpawnRequest{Argv: []string{"/bin/true"}})
		if err != nil {
			b.Fatal(err)
		}
		closeFiles(p.files)
		<-p.exit
	}
}
