package admin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// testAPI is a server on a socket of its own with fakes behind it, and a
// client of it.
type testAPI struct {
	guests   *fakeGuests
	images   *fakeImages
	daemon   *fakeDaemon
	sessions fakeSessions
	client   *Client
	socket   string
}

// newTestAPI serves the API with fakes; change opts before it serves.
func newTestAPI(t *testing.T, change func(*Options)) *testAPI {
	t.Helper()
	a := &testAPI{guests: newFakeGuests(), images: newFakeImages(), sessions: fakeSessions{}}
	a.daemon = &fakeDaemon{cfg: testConfig(t)}
	opts := Options{Guests: a.guests, Limits: a.guests, Images: a.images, Daemon: a.daemon, Sessions: a.sessions,
		Now: func() time.Time { return time.Now() }}
	if change != nil {
		change(&opts)
	}
	a.socket = filepath.Join(t.TempDir(), SocketName)
	ln, err := Listen(a.socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(opts).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	a.client = NewClient(a.socket)
	return a
}

// wantAPIError checks that err is an API error of status whose message
// holds want.
func wantAPIError(t *testing.T, what string, err error, status int, want string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != status || !strings.Contains(ae.Message, want) {
		t.Errorf("%s: err = %v, want status %d with %q", what, err, status, want)
	}
}

func TestListGuests(t *testing.T) {
	a := newTestAPI(t, nil)
	a.sessions["alice"] = 2
	got, err := a.client.Guests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, State, Error, Address string
		Sessions                  int
		Memory                    int64
		Running                   bool
	}
	var rows []row
	for _, g := range got {
		rows = append(rows, row{g.ID, g.State, g.Error, g.Address, g.Sessions, g.MemoryBytes, g.Pid != 0})
	}
	want := []row{
		{"alice", "running", "", "10.9.0.2", 2, 5 << 20, true},
		{"bob+web", "stopped", "", "10.9.0.2", 0, 0, false},
		{"carol", "broken", "starting guest carol: no image", "10.9.0.2", 0, 0, false},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Guests() mismatch (-want +got):\n%s", diff)
	}
}

func TestShowGuest(t *testing.T) {
	a := newTestAPI(t, nil)
	g, err := a.client.Guest(context.Background(), "bob+web")
	if err != nil || g.Owner != "bob" || g.Name != "web" || g.Image != "debian" {
		t.Errorf("Guest(bob+web) = %+v, %v", g, err)
	}
	_, err = a.client.Guest(context.Background(), "nobody")
	wantAPIError(t, "Guest(nobody)", err, http.StatusNotFound, "guest nobody: no such guest; see vmhostd guest ls")
	// guest ls shows bob+web as OWNER bob, NAME web; web alone is bob's
	// guest of that name no more than nobody is.
	_, err = a.client.Guest(context.Background(), "web")
	wantAPIError(t, "Guest(web)", err, http.StatusNotFound, "guest web: no such guest; did you mean bob+web?")
	if strings.Contains(err.Error(), "see vmhostd guest ls") {
		t.Errorf("Guest(web): %v; want the login it may mean instead of a pointer to guest ls", err)
	}
	_, err = a.client.Guest(context.Background(), "a+b+c")
	wantAPIError(t, "Guest(a+b+c)", err, http.StatusBadRequest, `"a+b+c" is not a guest name`)
}

func TestLifecycle(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	g, err := a.client.Lifecycle(ctx, "start", "bob+web", false)
	if err != nil || g.State != "running" {
		t.Errorf("start bob+web = %+v, %v; want running", g, err)
	}
	g, err = a.client.Lifecycle(ctx, "stop", "alice", false)
	if err != nil || g.State != "stopped" {
		t.Errorf("stop alice = %+v, %v; want stopped", g, err)
	}
	if _, err := a.client.Lifecycle(ctx, "restart", "alice", false); err != nil {
		t.Errorf("restart alice: %v", err)
	}
	_, err = a.client.Lifecycle(ctx, "stop", "nobody", false)
	wantAPIError(t, "stop nobody", err, http.StatusNotFound, "no such guest")
	want := []string{"start bob+web", "stop alice", "restart alice"}
	if diff := cmp.Diff(want, a.guests.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestBusyGuest(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	a.sessions["alice"] = 1
	_, err := a.client.Lifecycle(ctx, "stop", "alice", false)
	wantAPIError(t, "stop with a session", err, http.StatusConflict, "guest alice is busy: 1 SSH connection(s) open; ask its user to log out, or stop it anyway with --force")
	err = a.client.Remove(ctx, "alice", false)
	wantAPIError(t, "rm with a session", err, http.StatusConflict, "remove it anyway with --force")
	if _, err := a.client.Lifecycle(ctx, "stop", "alice", true); err != nil {
		t.Errorf("stop --force: %v", err)
	}
	a.guests.set("bob+web", false, "starting")
	_, err = a.client.Lifecycle(ctx, "start", "bob+web", false)
	wantAPIError(t, "start a starting guest", err, http.StatusConflict, "guest bob+web is busy: it is starting")
	if diff := cmp.Diff([]string{"stop alice"}, a.guests.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestResetNeedsConfirmation(t *testing.T) {
	a := newTestAPI(t, nil)
	err := a.client.do(context.Background(), http.MethodPost, "/v1/guests/alice/reset", nil, nil)
	wantAPIError(t, "reset without confirm", err, http.StatusBadRequest, "confirm it (vmhostd guest reset NAME --yes)")
	if _, err := a.client.Reset(context.Background(), "alice", false); err != nil {
		t.Errorf("Reset: %v", err)
	}
	if diff := cmp.Diff([]string{"reset alice"}, a.guests.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestRemoveGuest(t *testing.T) {
	a := newTestAPI(t, nil)
	if err := a.client.Remove(context.Background(), "bob+web", false); err != nil {
		t.Fatal(err)
	}
	_, err := a.client.Guest(context.Background(), "bob+web")
	wantAPIError(t, "Guest after rm", err, http.StatusNotFound, "no such guest")
	err = a.client.Remove(context.Background(), "bob+web", false)
	wantAPIError(t, "rm again", err, http.StatusNotFound, "no such guest")
}

func TestExec(t *testing.T) {
	a := newTestAPI(t, nil)
	proc := newCatProcess(3)
	var got ExecRequest
	a.guests.exec = func(req guestSpawn) (guestProcess, error) {
		got = ExecRequest{Argv: req.Argv, TTY: req.TTY != nil}
		return proc, nil
	}
	var stdout, stderr bytes.Buffer
	st, err := a.client.Exec(context.Background(), "alice", ExecRequest{Argv: []string{"cat"}},
		ExecIO{Stdin: strings.NewReader("hello\nworld\n"), Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if st != (ExitStatus{Code: 3}) || stdout.String() != "hello\nworld\n" || stderr.String() != "done\n" {
		t.Errorf("Exec = %+v, stdout %q, stderr %q; want code 3, the input, done", st, stdout.String(), stderr.String())
	}
	if !cmp.Equal(got, ExecRequest{Argv: []string{"cat"}}) {
		t.Errorf("spawn request = %+v", got)
	}
}

func TestExecRefused(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	_, err := a.client.Exec(ctx, "nobody", ExecRequest{Argv: []string{"true"}}, ExecIO{})
	wantAPIError(t, "exec in unknown guest", err, http.StatusNotFound, "no such guest")
	_, err = a.client.Exec(ctx, "alice", ExecRequest{}, ExecIO{})
	wantAPIError(t, "exec of nothing", err, http.StatusBadRequest, "no command to run")
	err = a.client.do(ctx, http.MethodPost, "/v1/guests/alice/exec", ExecRequest{Argv: []string{"true"}}, nil)
	wantAPIError(t, "exec without upgrade", err, http.StatusBadRequest, "Upgrade: vmhost-exec")
}

func TestExecClientGone(t *testing.T) {
	a := newTestAPI(t, nil)
	proc := newCatProcess(0)
	started := make(chan struct{})
	a.guests.exec = func(guestSpawn) (guestProcess, error) { close(started); return proc, nil }
	ctx, cancel := context.WithCancel(context.Background())
	stdin, _ := io_Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := a.client.Exec(ctx, "alice", ExecRequest{Argv: []string{"cat"}}, ExecIO{Stdin: stdin, Stdout: new(bytes.Buffer), Stderr: new(bytes.Buffer)})
		done <- err
	}()
	<-started
	cancel()
	<-done
	select {
	case sig := <-proc.signals:
		if sig.String() != "hangup" {
			t.Errorf("signal = %v, want SIGHUP", sig)
		}
	case <-time.After(10 * time.Second):
		t.Error("the process got no SIGHUP when its client went away")
	}
}

func TestStatsAndLimits(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	all, err := a.client.Stats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []GuestStats{{ID: "alice", State: "running", MemoryBytes: 5 << 20, CPUSeconds: 1.5, Processes: 3, NetRxBytes: 10, NetTxBytes: 20,
		DiskBytes: 7 << 20, DiskLimitBytes: 50 << 20, Inodes: 40, InodesLimit: 12800}}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
	}
	one, err := a.client.Stats(ctx, "bob+web")
	if err != nil || len(one) != 1 || one[0] != (GuestStats{ID: "bob+web", State: "stopped"}) {
		t.Errorf("Stats(bob+web) = %+v, %v; want zeros of a stopped guest", one, err)
	}
	if err := a.client.SetLimits(ctx, "alice", Limits{MemoryBytes: 256 << 20, Pids: 64}); err != nil {
		t.Fatal(err)
	}
	if got, want := a.guests.limits["alice"], (config.Limits{Memory: 256 << 20, Pids: 64}); got != want {
		t.Errorf("limits of alice = %+v, want %+v", got, want)
	}
	if err := a.client.SetLimits(ctx, "alice", Limits{CPUs: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := a.guests.limits["alice"], (config.Limits{Memory: 256 << 20, CPUs: 1, Pids: 64}); got != want {
		t.Errorf("limits of alice after a change of cpus = %+v, want %+v: the others kept", got, want)
	}
	if err := a.client.SetLimits(ctx, "alice", Limits{DiskBytes: 5 << 30, Inodes: 100000}); err != nil {
		t.Fatal(err)
	}
	if got, want := a.guests.limits["alice"], (config.Limits{Memory: 256 << 20, CPUs: 1, Pids: 64, Disk: 5 << 30, Inodes: 100000}); got != want {
		t.Errorf("limits of alice after a change of disk and inodes = %+v, want %+v", got, want)
	}
	if err := a.client.SetLimits(ctx, "alice", Limits{Reset: true}); err != nil {
		t.Fatal(err)
	}
	if got := a.guests.limits["alice"]; got != (config.Limits{}) {
		t.Errorf("limits of alice after reset = %+v, want none of its own", got)
	}
	wantAPIError(t, "reset and more", a.client.SetLimits(ctx, "alice", Limits{Reset: true, Pids: 3}), http.StatusBadRequest, "give it alone")
	wantAPIError(t, "more cpus than the host", a.client.SetLimits(ctx, "alice", Limits{CPUs: 100000}), http.StatusBadRequest, "limits of guest alice: ")
	wantAPIError(t, "no limits", a.client.SetLimits(ctx, "alice", Limits{}), http.StatusBadRequest, "give --memory, --cpus, --pids, --disk or --inodes")
	wantAPIError(t, "tiny memory", a.client.SetLimits(ctx, "alice", Limits{MemoryBytes: 1000}), http.StatusBadRequest, "too little")
	wantAPIError(t, "tiny disk", a.client.SetLimits(ctx, "alice", Limits{DiskBytes: 1000}), http.StatusBadRequest, "disk: 1000 is too little")
	wantAPIError(t, "negative inodes", a.client.SetLimits(ctx, "alice", Limits{Inodes: -1}), http.StatusBadRequest, "inodes: -1 is too few inodes")
	wantAPIError(t, "unknown guest", a.client.SetLimits(ctx, "zed", Limits{Pids: 5}), http.StatusNotFound, "no such guest")
}

func TestNoLimiter(t *testing.T) {
	a := newTestAPI(t, func(o *Options) { o.Limits = nil })
	_, err := a.client.Stats(context.Background(), "")
	wantAPIError(t, "stats without a limiter", err, http.StatusNotFound, "no such API route GET /v1/stats")
}

func TestImages(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	imgs, err := a.client.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].Name != "busybox" || !cmp.Equal(imgs[0].Guests, []string{"alice", "carol"}) || len(imgs[1].Guests) != 0 {
		t.Errorf("Images() = %+v", imgs)
	}
	err = a.client.RemoveImage(ctx, "busybox")
	wantAPIError(t, "rm busybox", err, http.StatusConflict, "image busybox is in use by guest(s) alice, carol; remove them first")
	if err := a.client.RemoveImage(ctx, "unused"); err != nil {
		t.Errorf("rm unused: %v", err)
	}
	err = a.client.RemoveImage(ctx, "unused")
	wantAPIError(t, "rm unused again", err, http.StatusNotFound, "not built")
}

func TestBuildImage(t *testing.T) {
	a := newTestAPI(t, nil)
	ctx := context.Background()
	var progress bytes.Buffer
	img, err := a.client.BuildImage(ctx, "debian", false, &progress)
	if err != nil || img.Name != "debian" || img.Build != "new" {
		t.Errorf("BuildImage(debian) = %+v, %v", img, err)
	}
	if got := lines(progress.String()); !cmp.Equal(got, []string{"building debian from debootstrap", "step two"}) {
		t.Errorf("progress = %q", got)
	}
	progress.Reset()
	if _, err := a.client.BuildImage(ctx, "debian", true, &progress); err != nil || !strings.HasPrefix(progress.String(), "rebuilding\n") {
		t.Errorf("rebuild: %v, progress %q", err, progress.String())
	}
	_, err = a.client.BuildImage(ctx, "broken", false, &progress)
	if err == nil || !strings.Contains(err.Error(), "building image broken: no tarball at /nonexistent.tar") {
		t.Errorf("build broken: %v", err)
	}
	_, err = a.client.BuildImage(ctx, "nope", false, &progress)
	wantAPIError(t, "build nope", err, http.StatusNotFound, `image "nope" is not defined in /etc/vmhost/config.yaml`)
}

func TestUsers(t *testing.T) {
	a := newTestAPI(t, nil)
	users, err := a.client.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "alice", Image: "busybox", MaxGuests: 3, Keys: 1, Limits: Limits{MemoryBytes: 512 << 20, Pids: 100}, Autostart: true, IdleStop: "30m0s", Guests: []string{"alice"}},
		{Name: "bob", Image: "debian", MaxGuests: 5, Keys: 1, Limits: Limits{MemoryBytes: 512 << 20, Pids: 100}, IdleStop: "30m0s", Guests: []string{"bob+web"}},
		{Name: "carol", Image: "busybox", MaxGuests: 3, KeysFile: "/home/carol/.ssh/authorized_keys", Limits: Limits{MemoryBytes: 512 << 20, Pids: 100}, Guests: []string{"carol"}},
	}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Errorf("Users() mismatch (-want +got):\n%s", diff)
	}
}

func TestReload(t *testing.T) {
	a := newTestAPI(t, nil)
	a.daemon.nextErr = errors.New("/etc/vmhost/config.yaml:3: users.bob: has no way to log in")
	_, err := a.client.Reload(context.Background())
	wantAPIError(t, "bad reload", err, http.StatusBadRequest, "the new configuration is refused and the one in use is kept: /etc/vmhost/config.yaml:3: users.bob")
	a.daemon.nextErr, a.daemon.next = nil, testConfig(t)
	delete(a.daemon.next.Users, "carol")
	if _, err := a.client.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	users, _ := a.client.Users(context.Background())
	if len(users) != 2 {
		t.Errorf("users after reload = %+v, want alice and bob", users)
	}
}

func TestPeerNotAdmin(t *testing.T) {
	a := newTestAPI(t, func(o *Options) { o.AdminUID = 4242 })
	_, err := a.client.Guests(context.Background())
	wantAPIError(t, "a peer that is not the admin", err, http.StatusForbidden, "permission denied: the vmhostd admin socket is for root only")
}

func TestSocket(t *testing.T) {
	a := newTestAPI(t, nil)
	fi, err := os.Stat(a.socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("admin socket mode = %v, want a socket 0600", fi.Mode())
	}
	_, err = NewClient(filepath.Join(t.TempDir(), "none.sock")).Guests(context.Background())
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), "is the daemon running") {
		t.Errorf("no daemon: %v", err)
	}
}
