package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// fakeLauncher starts no process: its inits are records, running until
// stopped or killed, and still running for a second Manager that reattaches
// (as after a daemon restart). It checks that a guest's address is on disk
// before any init can hold it.
type fakeLauncher struct {
	mu      sync.Mutex
	next    int
	running map[int]*fakeInit // by pid
	failing error             // start fails with this, when set
	starts  int
	onDisk  []string // the guest.json each start found, in order
	// beforeStop, when set, runs as an init is asked to stop.
	beforeStop func()
}

func newFakeLauncher() *fakeLauncher {
	return &fakeLauncher{next: 1000, running: map[int]*fakeInit{}}
}

func (l *fakeLauncher) start(spec startSpec) (initHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.starts++
	b, _ := os.ReadFile(filepath.Join(spec.dir, stateFile))
	l.onDisk = append(l.onDisk, string(b))
	if l.failing != nil {
		return nil, l.failing
	}
	if spec.attach != nil {
		if err := spec.attach(os.Getpid()); err != nil {
			return nil, err
		}
	}
	if spec.ready != nil {
		if err := spec.ready(); err != nil {
			return nil, err
		}
	}
	l.next++
	p := &fakeInit{l: l, hostPid: l.next, start: uint64(l.next) * 7, up: true, done: make(chan struct{})}
	l.running[p.hostPid] = p
	return p, nil
}

func (l *fakeLauncher) reattach(pid int, start uint64) (initHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.running[pid]; ok && p.start == start && p.up {
		return p, nil
	}
	return nil, errInitGone
}

func (l *fakeLauncher) find(st *State, pids []int) initHandle { return nil }

// crash ends pid as if the guest's init had died on its own.
func (l *fakeLauncher) crash(pid int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.running[pid]; ok {
		p.up = false
		close(p.done)
		delete(l.running, pid)
	}
}

// count is how many inits run.
func (l *fakeLauncher) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.running)
}

// fakeInit is an init of a fakeLauncher.
type fakeInit struct {
	l       *fakeLauncher
	hostPid int
	start   uint64
	up      bool
	stops   int
	done    chan struct{}
}

func (p *fakeInit) exited() <-chan struct{} { return p.done }

func (p *fakeInit) pid() int          { return p.hostPid }
func (p *fakeInit) startTime() uint64 { return p.start }
func (p *fakeInit) alive() bool {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	return p.up
}
func (p *fakeInit) nsPath(ns string) string {
	return fmt.Sprintf("/proc/%d/ns/%s", os.Getpid(), ns)
}
func (p *fakeInit) release() {}

func (p *fakeInit) stop(time.Duration) error {
	if f := p.l.beforeStop; f != nil {
		f()
	}
	return p.kill()
}

func (p *fakeInit) kill() error {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	if !p.up {
		return errors.New("fake init: not running")
	}
	p.up = false
	close(p.done)
	p.stops++
	delete(p.l.running, p.hostPid)
	return nil
}
