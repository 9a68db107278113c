package labs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"vmhost/config"
	"vmhost/protocol"
)

// behaviour is what a fake guest does with a process: given its request
// and input, its output and exit code; hang makes it run until closed.
type behaviour func(req protocol.SpawnRequest, stdin []byte) (out []byte, code int, hang bool)

// fakeGuests is a guest manager in memory.
type fakeGuests struct {
	mu     sync.Mutex
	guests map[string]*Guest
	do     map[string]behaviour // by guest ID; nil: exit 0, no output
	calls  []string             // "op id"
	spawns []protocol.SpawnRequest
}

func newFakeGuests(ids ...string) *fakeGuests {
	f := &fakeGuests{guests: map[string]*Guest{}, do: map[string]behaviour{}}
	for _, id := range ids {
		f.add(id, "running")
	}
	return f
}

func (f *fakeGuests) add(id, state string) {
	owner, name, _ := cutPlus(id)
	f.guests[id] = &Guest{ID: id, Owner: owner, Name: name, State: state}
}

func cutPlus(id string) (string, string, bool) {
	for i := range id {
		if id[i] == '+' {
			return id[:i], id[i+1:], true
		}
	}
	return id, id, false
}

func (f *fakeGuests) record(op, id string) {
	f.mu.Lock()
	f.calls = append(f.calls, op+" "+id)
	f.mu.Unlock()
}

func (f *fakeGuests) List() []Guest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Guest
	for _, g := range f.guests {
		out = append(out, *g)
	}
	return out
}

func (f *fakeGuests) Open(_ context.Context, owner, name string) error {
	id := guestID(owner, name)
	f.record("open", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.guests[id]; ok {
		g.State = "running"
		return nil
	}
	f.guests[id] = &Guest{ID: id, Owner: owner, Name: name, State: "running"}
	return nil
}

func (f *fakeGuests) lifecycle(op, id, state string) error {
	f.record(op, id)
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.guests[id]
	if !ok {
		return errors.New("no such guest")
	}
	if state == "" {
		delete(f.guests, id)
	} else {
		g.State = state
	}
	return nil
}

func (f *fakeGuests) Stop(id string) error   { return f.lifecycle("stop", id, "stopped") }
func (f *fakeGuests) Reset(id string) error  { return f.lifecycle("reset", id, "stopped") }
func (f *fakeGuests) Remove(id string) error { return f.lifecycle("rm", id, "") }

func (f *fakeGuests) Exec(_ context.Context, id string, req protocol.SpawnRequest) (Process, error) {
	f.record("exec", id)
	f.mu.Lock()
	_, ok := f.guests[id]
	do := f.do[id]
	f.spawns = append(f.spawns, req)
	f.mu.Unlock()
	if !ok {
		return nil, errors.New("no such guest")
	}
	return startFake(req, do), nil
}

// fakeProcess runs a behaviour once its input is closed.
type fakeProcess struct {
	in     *inBuf
	outR   *io.PipeReader
	outW   *io.PipeWriter
	errR   io.Reader
	done   chan struct{}
	closed chan struct{}
	once   sync.Once
	code   int
}

// inBuf collects a process's input; closing it starts the behaviour.
type inBuf struct {
	bytes.Buffer
	closed chan struct{}
	once   sync.Once
}

func (b *inBuf) Close() error { b.once.Do(func() { close(b.closed) }); return nil }

func startFake(req protocol.SpawnRequest, do behaviour) *fakeProcess {
	outR, outW := io.Pipe()
	p := &fakeProcess{in: &inBuf{closed: make(chan struct{})}, outR: outR, outW: outW, errR: bytes.NewReader(nil),
		done: make(chan struct{}), closed: make(chan struct{})}
	go func() {
		defer close(p.done)
		select {
		case <-p.in.closed:
		case <-p.closed:
			outW.CloseWithError(io.ErrClosedPipe)
			p.code = 137
			return
		}
		var out []byte
		hang := false
		if do != nil {
			out, p.code, hang = do(req, p.in.Bytes())
		}
		wrote := make(chan struct{})
		go func() { outW.Write(out); close(wrote) }()
		select {
		case <-wrote:
		case <-p.closed:
		}
		if hang {
			<-p.closed
			p.code = 137
		}
		outW.Close()
	}()
	return p
}

func (p *fakeProcess) Stdin() io.WriteCloser       { return p.in }
func (p *fakeProcess) Stdout() io.Reader           { return p.outR }
func (p *fakeProcess) Stderr() io.Reader           { return p.errR }
func (p *fakeProcess) Signal(syscall.Signal) error { return nil }
func (p *fakeProcess) Close() error {
	p.once.Do(func() { close(p.closed); p.outR.Close() })
	return nil
}
func (p *fakeProcess) Wait() (protocol.ExitStatus, error) {
	<-p.done
	return protocol.ExitStatus{Code: p.code}, nil
}

// testClass is net101: teacher tina, students s01 and s02, hosts pc and
// router, the check script given.
func testConfig(t *testing.T, check string, hosts ...string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cl := config.Class{Name: "net101", Teachers: []string{"tina"}, Members: []string{"s01", "s02"},
		CheckTimeout: config.Duration(5 * time.Second)}
	for _, h := range hosts {
		cl.Hosts = append(cl.Hosts, config.ClassHost{Name: h})
	}
	if check != "" {
		cl.Check = filepath.Join(dir, "check.sh")
		if err := os.WriteFile(cl.Check, []byte(check), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := config.Class{Name: "sec201", Teachers: []string{"otto"}, Members: []string{"s09"}}
	return &config.Config{Classes: map[string]config.Class{"net101": cl, "sec201": other}}
}

// newTestService returns a service of cfg over guests, keeping its
// results under a temporary directory.
func newTestService(t *testing.T, cfg *config.Config, guests *fakeGuests) (*Service, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "labs")
	svc := New(Options{Config: func() *config.Config { return cfg }, Guests: guests, Store: NewStore(dir),
		Now: func() time.Time { return time.Date(2026, 12, 10, 9, 30, 0, 0, time.UTC) }})
	return svc, dir
}

// scriptIs reports whether req runs the fixed script s.
func scriptIs(req protocol.SpawnRequest, s string) bool {
	return len(req.Argv) > 2 && req.Argv[2] == s
}

// argOf returns $1 of req.
func argOf(req protocol.SpawnRequest) string {
	if len(req.Argv) > 4 {
		return req.Argv[4]
	}
	return ""
}

var svcTime = time.Date(2026, 12, 10, 9, 30, 0, 0, time.UTC)
