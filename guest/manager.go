package guest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"vmhost/config"
	"vmhost/reserve"
)

// Images gives guests the root filesystems of their images, building them on
// first use.
type Images interface {
	// Rootfs returns the root filesystem directory of the named image.
	Rootfs(ctx context.Context, image string) (string, error)
}

// Policy says what each owner gets. *config.Config implements it.
type Policy interface {
	// GuestImage is the image of the owner's new guest named name.
	GuestImage(owner, name string) string
	// MaxGuestsFor is how many guests the owner may have.
	MaxGuestsFor(owner string) int
	// GuestLimits is the resource limits of the owner's guest named name.
	GuestLimits(owner, name string) config.Limits
	Lifecycle
}

// Options configure a Manager.
type Options struct {
	DataDir string // guests live in <DataDir>/guests/<id>/
	RunDir  string // control sockets in <RunDir>/guests/<id>/
	Images  Images
	Policy  Policy
	// Network gives guests their network; nil means loopback only.
	Network Network
	// Links gives guests their lab links (see [Links]); nil gives none.
	Links Links
	// Cgroups puts each guest in a cgroup with its limits; nil means no
	// limits.
	Cgroups Cgroups
	// Storage keeps guests' own files on disks of their own, held to their
	// disk limits; nil keeps them in their directories with no limit.
	Storage Storage
	Exe     *SealedExe // the binary every init runs
	Logger  *slog.Logger
	// StopGrace is how long a stopping guest gets before it is killed.
	StopGrace time.Duration
	// Trace, when set, gets the time of each phase of a guest's start.
	Trace TraceFunc
	// View, when set, shows guests their own machine in /proc and /sys
	// files; nil leaves them the kernel's.
	View View
	// FirstStart, when set, is called after a guest's first start from
	// its image (a new guest, or one reset), with the guest running and
	// locked: whoever opens it meanwhile waits (see firstStart).
	FirstStart func(ctx context.Context, owner, name string, g Running)

	// launcher starts inits; nil is the daemon's, nsLauncher. Tests set a
	// fake.
	launcher launcher
	// statfs tells what data_dir has free; nil is reserve.Statfs. Tests
	// set a fake.
	statfs func(path string) (reserve.Space, error)
}

// Manager creates, starts, stops and finds guests. It is safe for concurrent use.
type Manager struct {
	opts   Options
	log    *slog.Logger
	mu     sync.Mutex
	guests map[string]*entry   // by ID
	leases map[netip.Addr]bool // addresses guests hold
	cpus   cpuPlacer           // the CPUs running guests are pinned to
}

// entry is one guest known to the manager. mu serializes its lifecycle
// operations; what List shows is published under showMu, so a listing never
// waits for a guest to start.
type entry struct {
	mu    sync.Mutex
	state State
	proc  initHandle // the running init; nil or exited when not running
	gone  bool       // removed while a caller waited for mu

	showMu    sync.Mutex
	shown     State
	shownProc initHandle
	phase     string // StatusStarting, StatusStopping or ""
	lastErr   string // why the last start failed
}

// newEntry makes the entry of a guest with state st.
func newEntry(st State) *entry {
	return &entry{state: st, shown: st}
}

// publish makes the entry's state, phase and error what List shows. Called
// with e.mu held.
func (e *entry) publish(phase string, err error) {
	e.showMu.Lock()
	defer e.showMu.Unlock()
	e.shown, e.shownProc, e.phase = e.state, e.proc, phase
	if phase == "" {
		e.lastErr = errString(err)
	}
}

// info is what List shows of the entry.
func (e *entry) info() Info {
	e.showMu.Lock()
	st, proc, phase, lastErr := e.shown, e.shownProc, e.phase, e.lastErr
	e.showMu.Unlock()
	in := Info{State: st, Running: isRunning(proc), Status: phase, Error: lastErr}
	switch {
	case phase != "":
	case in.Running:
		in.Status = StatusRunning
	case lastErr != "":
		in.Status = StatusBroken
	default:
		in.Status = StatusStopped
	}
	return in
}

// ErrUnknownGuest is returned for a guest that does not exist.
var ErrUnknownGuest = errors.New("no such guest")

// NewManager loads every guest under DataDir and reattaches to those whose
// init still runs; the others start again on their next use.
func NewManager(opts Options) (*Manager, error) {
	if opts.StopGrace == 0 {
		opts.StopGrace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.launcher == nil {
		opts.launcher = nsLauncher{}
	}
	if opts.statfs == nil {
		opts.statfs = reserve.Statfs
	}
	m := &Manager{opts: opts, log: opts.Logger, guests: make(map[string]*entry), leases: make(map[netip.Addr]bool)}
	if err := m.makeDirs(); err != nil {
		return nil, err
	}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// makeDirs makes the top directories: guests' data private to root, the run
// directory traversable so an init can reach its mount point.
func (m *Manager) makeDirs() error {
	dirs := []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Join(m.opts.DataDir, "guests"), 0o700},
		{m.opts.RunDir, 0o711},
		{filepath.Join(m.opts.RunDir, "guests"), 0o711},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return fmt.Errorf("making %s: %w", d.path, err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			return fmt.Errorf("setting mode of %s: %w", d.path, err)
		}
	}
	return nil
}

// load reads every guest.json and reattaches to running inits.
func (m *Manager) load() error {
	dirs, err := os.ReadDir(filepath.Join(m.opts.DataDir, "guests"))
	if err != nil {
		return fmt.Errorf("reading guests: %w", err)
	}
	for _, d := range dirs {
		if strings.HasPrefix(d.Name(), ".") {
			m.removeLeftover(d.Name())
			continue
		}
		if !d.IsDir() {
			continue
		}
		st, err := readState(m.guestDir(d.Name()))
		if err != nil {
			m.log.Error("skipping unreadable guest", "dir", d.Name(), "err", err)
			continue
		}
		e := newEntry(*st)
		m.reattach(e)
		if st.IP.IsValid() {
			m.leases[st.IP] = true
		}
		m.guests[st.ID()] = e
	}
	m.sweep()
	m.finishStops()
	return nil
}

// reattach keeps the running init of the guest e, found by the pid and
// start time its guest.json recorded, or marks the guest stopped.
func (m *Manager) reattach(e *entry) {
	st := &e.state
	if p, err := m.opts.launcher.reattach(st.InitPid, st.InitStart); err == nil {
		m.log.Info("reattached to guest", "guest", st.ID(), "pid", st.InitPid)
		e.proc = p
		m.loadPin(st.ID())
		e.publish("", nil)
		m.reattachNetwork(st, p)
		return
	}
	if st.InitPid != 0 || st.Stopping {
		m.log.Info("guest is not running; it starts on next use", "guest", st.ID())
		m.cleanStopped(st)
		st.InitPid, st.InitStart, st.Stopping = 0, 0, false
		e.publish("", nil)
		if err := writeState(m.guestDir(st.ID()), st); err != nil {
			m.log.Error("recording stopped guest", "guest", st.ID(), "err", err)
		}
	}
}

// Open returns owner's guest name, running: it is created from the owner's
// image on first use, started again if its init is gone.
func (m *Manager) Open(ctx context.Context, owner, name string) (Running, error) {
	e, created, err := m.entryFor(owner, name)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone {
		return nil, fmt.Errorf("guest %s: %w", e.state.ID(), ErrUnknownGuest)
	}
	if err := m.ensureRunning(ctx, e); err != nil {
		if created {
			m.forget(e)
			err = m.diskFull(e.state.ID(), err)
		}
		return nil, err
	}
	return running{sock: filepath.Join(m.runDir(e.state.ID()), controlSock), initDone: exitedOf(e.proc), ip: e.state.IP,
		reopen: func(ctx context.Context) (Running, error) { return m.Open(ctx, owner, name) }}, nil
}

// entryFor finds the guest, or creates it within the owner's max_guests.
func (m *Manager) entryFor(owner, name string) (*entry, bool, error) {
	id := GuestID(owner, name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.guests[id]; ok {
		return e, false, nil
	}
	if err := m.checkQuota(owner); err != nil {
		return nil, false, err
	}
	e, err := m.create(owner, name)
	if err != nil {
		return nil, false, err
	}
	m.guests[id] = e
	return e, true, nil
}

// checkQuota refuses a new guest past the owner's max_guests. Called with m.mu held.
func (m *Manager) checkQuota(owner string) error {
	var names []string
	for _, e := range m.guests {
		if e.state.Owner == owner {
			names = append(names, e.state.ID())
		}
	}
	max := m.opts.Policy.MaxGuestsFor(owner)
	if len(names) < max {
		return nil
	}
	sort.Strings(names)
	return fmt.Errorf("%s already has %d guests, the most allowed (max_guests); log in to one of them (%s) or ask the admin to remove one",
		owner, len(names), strings.Join(names, ", "))
}

// ensureRunning starts the guest unless its init runs. Called with e.mu held.
func (m *Manager) ensureRunning(ctx context.Context, e *entry) error {
	if isRunning(e.proc) {
		return nil
	}
	release(e.proc)
	e.proc = nil
	if p := m.findInit(&e.state); p != nil {
		return m.record(e, p)
	}
	e.publish(StatusStarting, nil)
	err := m.start(ctx, e)
	e.publish("", err)
	return err
}

// record makes p the running init of e, as found in its cgroup after the
// daemon lost track of it, and writes it down.
func (m *Manager) record(e *entry, p initHandle) error {
	st := &e.state
	m.log.Info("found running init of guest", "guest", st.ID(), "pid", p.pid())
	// Its start may have ended before the init got its CPU quota.
	if err := m.updateCgroup(st, m.limitsOf(st), true); err != nil {
		p.release()
		return err
	}
	e.proc = p
	st.InitPid, st.InitStart = p.pid(), p.startTime()
	err := writeState(m.guestDir(st.ID()), st)
	e.publish("", err)
	return err
}

// start starts the init of the guest e and records it.
func (m *Manager) start(ctx context.Context, e *entry) error {
	st := &e.state
	if err := m.checkRoom(st); err != nil {
		return fmt.Errorf("starting guest %s: %w", st.ID(), err)
	}
	trace := newTracer(m.opts.Trace, st.ID())
	fresh := st.Rootfs == "" // a new or reset guest: see firstStart
	rootfs, err := m.rootfs(ctx, st)
	if err != nil {
		return fmt.Errorf("starting guest %s: %w", st.ID(), err)
	}
	trace.mark("image")
	if err := m.leaseDurably(st); err != nil {
		return err
	}
	trace.mark("lease")
	t0 := time.Now()
	cg, err := m.createCgroup(st)
	if err != nil {
		return fmt.Errorf("starting guest %s: %w", st.ID(), err)
	}
	trace.mark("cgroup")
	dir, err := m.layersDir(st)
	if err != nil {
		m.deleteCgroup(st)
		return fmt.Errorf("starting guest %s: %w", st.ID(), err)
	}
	view, viewGen := m.viewConfig(st.ID())
	p, err := m.opts.launcher.start(startSpec{
		state: st, rootfs: rootfs, dir: dir, runDir: m.runDir(st.ID()), exe: m.opts.Exe,
		attach: m.attachFunc(st), resolvConf: m.resolvConfFor(filepath.Join(dir, upperDir)),
		trace: trace, cgroup: cg, stopGrace: m.opts.StopGrace, log: m.log.With("guest", st.ID()),
		view: view, creator: m.creatorFor(st, dir),
		// The init sets up without the CPU quota, at full speed; the
		// quota applies before it boots the guest.
		ready: func() error { return m.updateCgroup(st, m.limitsOf(st), true) },
	})
	if err != nil {
		m.detach(st)
		m.deleteCgroup(st)
		m.detachDisk(st)
		m.log.Error("starting guest", "guest", st.ID(), "err", err)
		return fmt.Errorf("starting guest %s: %w", st.ID(), err)
	}
	crashPoint(CrashStartAfterInit)
	next := *st
	next.InitPid, next.InitStart, next.Rootfs, next.Stopping = p.pid(), p.startTime(), rootfs, false
	if err := recordStart(m.guestDir(st.ID()), &next); err != nil {
		// A start that cannot be recorded is undone: no init, link or
		// cgroup is left that the daemon does not know of.
		m.undoStart(st, p)
		return fmt.Errorf("starting guest %s: recording it: %w", st.ID(), err)
	}
	*st = next
	e.proc = p
	m.checkViewAfterStart(st.ID(), viewGen)
	trace.mark("state")
	m.log.Info("started guest", "guest", st.ID(), "pid", p.pid(), "took", time.Since(t0))
	m.firstStart(ctx, e, fresh)
	return nil
}

// recordStart writes the state of a guest whose init just started; tests
// replace it to fail there.
var recordStart = writeState

// undoStart ends the init p of the guest st, just started, and what was
// made for it.
func (m *Manager) undoStart(st *State, p initHandle) {
	if err := p.kill(); err != nil {
		m.log.Error("undoing the start of guest", "guest", st.ID(), "err", err)
	}
	p.release()
	m.detach(st)
	m.deleteCgroup(st)
}

// findInit asks the launcher for an init of the guest st among the
// processes of its cgroup, as after a daemon killed between starting the
// init and recording it; nil when there is none or no cgroups.
func (m *Manager) findInit(st *State) initHandle {
	if m.opts.Cgroups == nil {
		return nil
	}
	cg, err := m.opts.Cgroups.Open(st.ID())
	if err != nil {
		return nil
	}
	pids, err := cg.Procs()
	if err != nil || len(pids) == 0 {
		return nil
	}
	return m.opts.launcher.find(st, pids)
}

// rootfs returns the root filesystem the guest st starts from: the image
// build it was made from, or the image's current build for a new or reset
// guest.
func (m *Manager) rootfs(ctx context.Context, st *State) (string, error) {
	if st.Rootfs == "" {
		return m.opts.Images.Rootfs(ctx, st.Image)
	}
	if _, err := os.Stat(st.Rootfs); err != nil {
		return "", fmt.Errorf("the build of image %s it was made from is gone (%w); reset the guest to start it from the image's current build", st.Image, err)
	}
	return st.Rootfs, nil
}

// guestDir is <data_dir>/guests/<id>.
func (m *Manager) guestDir(id string) string {
	return filepath.Join(m.opts.DataDir, "guests", id)
}

// runDir is <run_dir>/guests/<id>.
func (m *Manager) runDir(id string) string {
	return filepath.Join(m.opts.RunDir, "guests", id)
}

// running is a guest whose init runs, reached through its control socket.
type running struct {
	sock     string
	initDone <-chan struct{} // closed when its init exits
	// reopen opens the guest again, starting it, for a request that found
	// its init on the way out; nil once that was tried.
	reopen func(ctx context.Context) (Running, error)
	ip     netip.Addr // the guest's IPv4 address; zero without a network
}

// IPv4 returns the guest's IPv4 address on the guest network, its eth0's;
// the zero Addr when guests have no network.
func (r running) IPv4() netip.Addr { return r.ip }

// initExitWait is how long a request that found the init's socket closed
// waits for the init to be gone before it starts the guest again: a dying
// init's sockets close before its namespaces are torn down (which can take
// a while with much to write back) and before its pidfd says it exited.
const initExitWait = 10 * time.Second

// Spawn implements Running.
func (r running) Spawn(ctx context.Context, req SpawnRequest) (Process, error) {
	p, err := spawnVia(ctx, r.sock, req, r.initDone)
	if again, ok := r.again(ctx, err); ok {
		return again.Spawn(ctx, req)
	}
	return p, err
}

// Dial implements Running.
func (r running) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := dialVia(ctx, r.sock, network, address)
	if again, ok := r.again(ctx, err); ok {
		return again.Dial(ctx, network, address)
	}
	return c, err
}

// Listen implements Running.
func (r running) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	ln, err := listenVia(ctx, r.sock, network, address)
	if again, ok := r.again(ctx, err); ok {
		return again.Listen(ctx, network, address)
	}
	return ln, err
}

// again returns the guest started anew when err says that its init's
// socket was gone (the guest was stopping, as after `reboot` inside), or
// went while the request was on its way (reset): once the init has
// exited, the guest is opened again, once.
func (r running) again(ctx context.Context, err error) (running, bool) {
	if err == nil || r.reopen == nil || !(errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNRESET)) {
		return running{}, false
	}
	t := time.NewTimer(initExitWait)
	defer t.Stop()
	select {
	case <-r.initDone:
	case <-t.C:
		return running{}, false
	case <-ctx.Done():
		return running{}, false
	}
	g, err := r.reopen(ctx)
	next, ok := g.(running)
	if err != nil || !ok {
		return running{}, false
	}
	next.reopen = nil
	return next, true
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
