package admin

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/images"
)

// fakeGuests is an in-memory guest.Manager: guests by id, and the calls made.
type fakeGuests struct {
	mu     sync.Mutex
	guests map[string]guest.Info
	calls  []string
	limits map[string]config.Limits
	exec   func(req guest.SpawnRequest) (guest.Process, error)
}

// newFakeGuests returns fake guests alice (running), bob+web (stopped) and
// carol (broken).
func newFakeGuests() *fakeGuests {
	f := &fakeGuests{guests: map[string]guest.Info{}, limits: map[string]config.Limits{}}
	add := func(owner, name, image, status string, running bool, errText string) {
		in := guest.Info{State: guest.State{Owner: owner, Name: name, Image: image, IDBase: 1 << 16, IDSize: 1 << 16,
			Created: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), IP: netip.MustParseAddr("10.9.0.2")},
			Running: running, Status: status, Error: errText}
		if running {
			in.InitPid, in.InitStart = os.Getpid(), 0
		}
		f.guests[in.ID()] = in
	}
	add("alice", "alice", "busybox", guest.StatusRunning, true, "")
	add("bob", "web", "debian", guest.StatusStopped, false, "")
	add("carol", "carol", "busybox", guest.StatusBroken, false, "starting guest carol: no image")
	return f
}

func (f *fakeGuests) record(op, id string) (guest.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+id)
	in, ok := f.guests[id]
	if !ok {
		return in, fmt.Errorf("guest %s: %w", id, guest.ErrUnknownGuest)
	}
	return in, nil
}

func (f *fakeGuests) set(id string, running bool, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.guests[id]
	in.Running, in.Status = running, status
	f.guests[id] = in
}

func (f *fakeGuests) List() []guest.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []guest.Info
	for _, in := range f.guests {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

func (f *fakeGuests) Get(id string) (guest.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.guests[id]
	if !ok {
		return in, fmt.Errorf("guest %s: %w", id, guest.ErrUnknownGuest)
	}
	return in, nil
}

func (f *fakeGuests) Start(_ context.Context, id string) error {
	if _, err := f.record("start", id); err != nil {
		return err
	}
	f.set(id, true, guest.StatusRunning)
	return nil
}

func (f *fakeGuests) Stop(id string) error {
	if _, err := f.record("stop", id); err != nil {
		return err
	}
	f.set(id, false, guest.StatusStopped)
	return nil
}

func (f *fakeGuests) Restart(_ context.Context, id string) error {
	_, err := f.record("restart", id)
	return err
}

func (f *fakeGuests) Reset(id string) error {
	_, err := f.record("reset", id)
	return err
}

func (f *fakeGuests) Remove(id string) error {
	if _, err := f.record("remove", id); err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.guests, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeGuests) Exec(_ context.Context, id string, req guest.SpawnRequest) (guest.Process, error) {
	if _, err := f.record("exec", id); err != nil {
		return nil, err
	}
	return f.exec(req)
}

func (f *fakeGuests) Stats(id string) (guest.Stats, error) {
	if _, err := f.Get(id); err != nil {
		return guest.Stats{}, err
	}
	return guest.Stats{MemoryBytes: 5 << 20, CPU: 1500 * time.Millisecond, Processes: 3, NetRxBytes: 10, NetTxBytes: 20,
		Disk: guest.DiskUsage{Bytes: 7 << 20, LimitBytes: 50 << 20, Inodes: 40, LimitInodes: 12800}}, nil
}

// ChangeLimits applies c as the Manager does, and checks the result alone
// (the fake's owners have no limits).
func (f *fakeGuests) ChangeLimits(id string, c guest.LimitsChange) (config.Limits, error) {
	in, err := f.record("limits", id)
	if err != nil {
		return config.Limits{}, err
	}
	next := config.Limits{}
	if own := c.Apply(in.Limits); own != nil {
		next = *own
	}
	if err := config.ValidateLimits(next, next, config.LocalHost()); err != nil {
		return config.Limits{}, fmt.Errorf("limits of guest %s: %w: %w", id, guest.ErrBadLimits, err)
	}
	f.mu.Lock()
	f.limits[id] = next
	in = f.guests[id]
	in.Limits = &next
	f.guests[id] = in
	f.mu.Unlock()
	return next, nil
}

func (f *fakeGuests) SetAutostart(id string, on *bool) error {
	if _, err := f.record("autostart", id); err != nil {
		return err
	}
	f.mu.Lock()
	in := f.guests[id]
	in.Autostart = on
	f.guests[id] = in
	f.mu.Unlock()
	return nil
}

// catProcess is a process that copies its input to its output, writes
// "done" to stderr at the end, and exits with code.
type catProcess struct {
	stdinR, stdoutR, stderrR *io.PipeReader
	stdinW, stdoutW, stderrW *io.PipeWriter
	done                     chan struct{}
	code                     int
	signals                  chan syscall.Signal
}

func newCatProcess(code int) *catProcess {
	p := &catProcess{done: make(chan struct{}), code: code, signals: make(chan syscall.Signal, 4)}
	p.stdinR, p.stdinW = io.Pipe()
	p.stdoutR, p.stdoutW = io.Pipe()
	p.stderrR, p.stderrW = io.Pipe()
	go func() {
		io.Copy(p.stdoutW, p.stdinR)
		p.stderrW.Write([]byte("done\n"))
		p.stdoutW.Close()
		p.stderrW.Close()
		close(p.done)
	}()
	return p
}

func (p *catProcess) Stdin() io.WriteCloser { return p.stdinW }
func (p *catProcess) Stdout() io.Reader     { return p.stdoutR }
func (p *catProcess) Stderr() io.Reader     { return p.stderrR }
func (p *catProcess) PTY() *os.File         { return nil }
func (p *catProcess) Signal(sig syscall.Signal) error {
	p.signals <- sig
	return nil
}
func (p *catProcess) Wait() (guest.ExitStatus, error) {
	<-p.done
	return guest.ExitStatus{Code: p.code}, nil
}
func (p *catProcess) Close() error { return nil }

// fakeImages is an in-memory image store.
type fakeImages struct {
	mu      sync.Mutex
	images  map[string]images.Image
	removed []string
}

func newFakeImages() *fakeImages {
	return &fakeImages{images: map[string]images.Image{
		"busybox": {Name: "busybox", Build: "b1", Source: "busybox", Rootfs: "/data/images/busybox/builds/b1/rootfs"},
		"unused":  {Name: "unused", Build: "u1", Source: "tar", Rootfs: "/data/images/unused/builds/u1/rootfs"},
	}}
}

func (f *fakeImages) List() ([]images.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []images.Image
	for _, img := range f.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeImages) Ensure(_ context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error) {
	fmt.Fprintf(progress, "building %s from %s\nstep two\n", name, spec.Source)
	if spec.Source == "tar" {
		return images.Image{}, fmt.Errorf("no tarball at %s", spec.Path)
	}
	img := images.Image{Name: name, Build: "new", Source: spec.Source, Rootfs: "/data/images/" + name + "/builds/new/rootfs"}
	f.mu.Lock()
	f.images[name] = img
	f.mu.Unlock()
	return img, nil
}

func (f *fakeImages) Rebuild(ctx context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error) {
	fmt.Fprintln(progress, "rebuilding")
	return f.Ensure(ctx, name, spec, progress)
}

func (f *fakeImages) Remove(name string, inUse func(string) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[name]
	if !ok {
		return fmt.Errorf("image %q is %w: there is nothing to remove", name, images.ErrNotBuilt)
	}
	if inUse(img.Rootfs) {
		return fmt.Errorf("image %q is %w; remove them first", name, images.ErrInUse)
	}
	delete(f.images, name)
	f.removed = append(f.removed, name)
	return nil
}

// fakeDaemon holds a configuration; Reload fails when next is nil.
type fakeDaemon struct {
	mu      sync.Mutex
	cfg     *config.Config
	next    *config.Config
	nextErr error
}

func (d *fakeDaemon) Config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *fakeDaemon) Reload() (Reloaded, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.nextErr != nil {
		return Reloaded{}, d.nextErr
	}
	d.cfg = d.next
	return Reloaded{Config: d.cfg.Path}, nil
}

// fakeSessions counts sessions by guest id.
type fakeSessions map[string]int

func (f fakeSessions) Sessions(id string) int { return f[id] }

// testConfig is a configuration with users alice, bob and carol.
func testConfig(t interface{ Fatal(...any) }) *config.Config {
	text := `images:
  busybox: {source: busybox}
  debian: {source: debootstrap, suite: bookworm}
  broken: {source: tar, path: /nonexistent.tar}
defaults:
  idle_stop: 30m
  limits: {memory: 512MiB, pids: 100}
users:
  alice: {keys: ["` + testKey + `"], autostart: true}
  bob: {keys: ["` + testKey + `"], image: debian, max_guests: 5}
  carol: {authorized_keys_file: /home/carol/.ssh/authorized_keys, idle_stop: 0}
`
	c, err := config.Loader{}.Parse("/etc/vmhost/config.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@e2e"

// lines splits text into lines, without the last empty one.
func lines(text string) []string {
	return strings.Split(strings.TrimRight(text, "\n"), "\n")
}

// Short names for the fakes' signatures.
type (
	guestSpawn   = guest.SpawnRequest
	guestProcess = guest.Process
)

// io_Pipe returns a pipe whose reader never ends unless closed.
func io_Pipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
