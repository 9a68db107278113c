package session

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"vmhost/guest"
)

// fakeProcess is a process whose files are the test's, and whose end the
// test decides.
type fakeProcess struct {
	stdin  io.WriteCloser
	stdout io.Reader
	stderr io.Reader
	pty    *os.File
	exit   chan guest.ExitStatus
	sigs   chan syscall.Signal
}

func (p *fakeProcess) Stdin() io.WriteCloser { return p.stdin }
func (p *fakeProcess) Stdout() io.Reader     { return p.stdout }
func (p *fakeProcess) Stderr() io.Reader     { return p.stderr }
func (p *fakeProcess) PTY() *os.File         { return p.pty }
func (p *fakeProcess) Signal(sig syscall.Signal) error {
	p.sigs <- sig
	return nil
}
func (p *fakeProcess) Wait() (guest.ExitStatus, error) { return <-p.exit, nil }
func (p *fakeProcess) Close() error                    { return nil }

// ptyProcess returns a process with a terminal, and the terminal's slave
// side, which stands for the process.
func ptyProcess(t *testing.T) (*fakeProcess, *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	p := &fakeProcess{stdin: master, stdout: master, pty: master, exit: make(chan guest.ExitStatus, 1), sigs: make(chan syscall.Signal, 1)}
	return p, slave
}

func TestAttachTerminalDrains(t *testing.T) {
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	if !att.TTY() || att.Errors() != nil {
		t.Fatalf("a process with a terminal: TTY %v, Errors %v; want true, nil", att.TTY(), att.Errors())
	}
	slave.Write([]byte("hello"))
	// A background process keeps the terminal open after the process ends:
	// the output ends Drain after it goes quiet, not at the hangup.
	p.exit <- guest.ExitStatus{Code: 3}
	st, err := att.Wait()
	if err != nil || st.Code != 3 {
		t.Fatalf("Wait = %+v, %v; want code 3", st, err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(att.Output())
		done <- b
	}()
	select {
	case b := <-done:
		if string(b) != "hello" {
			t.Errorf("output = %q, want hello", b)
		}
	case <-time.After(10 * Drain):
		t.Fatal("the output did not end after the process did")
	}
}

func TestAttachResize(t *testing.T) {
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	if err := att.Resize(33, 99); err != nil {
		t.Fatal(err)
	}
	ws, err := unix.IoctlGetWinsize(int(slave.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Row != 33 || ws.Col != 99 {
		t.Errorf("window after Resize(33, 99) = %+v, %v", ws, err)
	}
}

func TestAttachPipes(t *testing.T) {
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	defer func() {
		for _, f := range []*os.File{inR, inW, outR, outW, errR, errW} {
			f.Close()
		}
	}()
	p := &fakeProcess{stdin: inW, stdout: outR, stderr: errR, exit: make(chan guest.ExitStatus, 1), sigs: make(chan syscall.Signal, 1)}
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	if att.TTY() || att.Input() != io.WriteCloser(inW) || att.Output() != io.Reader(outR) || att.Errors() != io.Reader(errR) {
		t.Error("a process with pipes: want its own stdin, stdout and stderr")
	}
	if err := att.Resize(1, 1); err != nil {
		t.Errorf("Resize without a terminal = %v, want nil", err)
	}
	att.Signal(syscall.SIGINT)
	if got := <-p.sigs; got != syscall.SIGINT {
		t.Errorf("signal = %v, want SIGINT", got)
	}
}

func TestAttachRefusesOddProcesses(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "notatty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name string
		proc guest.Process
	}{
		{"no process", nil},
		{"no pipes", &fakeProcess{}},
		{"a file for a terminal", &fakeProcess{stdin: f, stdout: f, pty: f}},
	}
	for _, tt := range tests {
		if _, err := Attach(tt.proc); err == nil {
			t.Errorf("%s: Attach = nil error, want one", tt.name)
		}
	}
}

func TestEnv(t *testing.T) {
	env := Env("LANG=C.UTF-8", "HOME=/srv", "LANG=en_US.UTF-8")
	want := map[string]bool{"HOME=/srv": true, "LANG=en_US.UTF-8": true, "USER=root": true}
	for _, kv := range env {
		delete(want, kv)
	}
	if len(want) != 0 || len(env) != len(BaseEnv)+1 {
		t.Errorf("Env = %q, missing %v", env, want)
	}
	if BaseEnv[0] != "HOME=/root" {
		t.Errorf("Env changed BaseEnv: %q", BaseEnv)
	}
}
