package metrics

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testHost is a collector of fake guests served on a free loopback port.
type testHost struct {
	src    *fakeSource
	daemon *Daemon
	srv    *Server
	url    string
	root   string
}

// startTestHost serves a collector of src's guests, whose cgroups and
// interfaces are fake files under root.
func startTestHost(t *testing.T, set Settings) *testHost {
	t.Helper()
	h := &testHost{src: &fakeSource{disks: map[string]Disk{}}, daemon: NewDaemon(), root: t.TempDir()}
	c := NewCollector(h.daemon, filepath.Join(h.root, "net", "dev"))
	c.Attach(h.src, fakeSSH{preauth: 3, penalized: 1})
	h.srv = NewServer(NewRegistry(c, h.daemon), slog.New(slog.DiscardHandler))
	if set.Listen == "" {
		set.Listen = freeAddr(t)
	}
	if err := h.srv.Apply(set); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.srv.Close)
	h.url = "http://" + set.Listen + "/metrics"
	return h
}

// freeAddr returns a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runningGuest makes the fake files of a running guest and returns it.
func (h *testHost) runningGuest(t testing.TB, id, owner string) Guest {
	dir := filepath.Join(h.root, "cg", id)
	writeFiles(t, dir, v2Files(2_000_000, 3000))
	fakeVeth(t, filepath.Join(h.root, "net", "dev"), "vh"+id, 100, 200, 10, 20)
	return Guest{ID: id, Owner: owner, State: "running", Running: true, Started: started,
		CgroupDirs: map[string]string{"": dir}, Veth: "vh" + id}
}

func TestCollectGuests(t *testing.T) {
	h := startTestHost(t, Settings{})
	alice := h.runningGuest(t, "alice", "alice")
	h.src.set(alice, Guest{ID: "bob+web", Owner: "bob", Class: "net101", State: "stopped"})
	h.src.disks["alice"] = Disk{UsedBytes: 1 << 20, LimitBytes: 1 << 30}
	h.daemon.SessionOpened("alice")
	h.daemon.SessionOpened("alice")
	fams := scrape(t, h.url, "")
	a := map[string]string{"guest": "alice", "owner": "alice"}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vmhost_guest_state", map[string]string{"guest": "alice", "owner": "alice", "state": "running"}, 1},
		{"vmhost_guest_state", map[string]string{"guest": "bob+web", "owner": "bob", "class": "net101", "state": "stopped"}, 1},
		{"vmhost_guest_sessions", a, 2},
		{"vmhost_guest_cpu_seconds_total", a, 2},
		{"vmhost_guest_memory_bytes", a, 2000},
		{"vmhost_guest_memory_limit_bytes", a, 512 << 20},
		{"vmhost_guest_swap_bytes", a, 4096},
		{"vmhost_guest_pids", a, 7},
		{"vmhost_guest_oom_kills_total", a, 2},
		{"vmhost_guest_io_read_bytes_total", a, 101},
		{"vmhost_guest_io_write_bytes_total", a, 202},
		{"vmhost_guest_network_receive_bytes_total", a, 200},
		{"vmhost_guest_network_transmit_bytes_total", a, 100},
		{"vmhost_guest_network_receive_packets_total", a, 20},
		{"vmhost_guest_network_transmit_packets_total", a, 10},
		{"vmhost_guest_disk_used_bytes", a, 1 << 20},
		{"vmhost_guest_disk_limit_bytes", a, 1 << 30},
		{"vmhost_guest_start_time_seconds", a, 1_700_000_000.5},
		{"vmhost_guests", map[string]string{"state": "running"}, 1},
		{"vmhost_guests", map[string]string{"state": "stopped"}, 1},
		{"vmhost_guests", map[string]string{"state": "broken"}, 0},
		{"vmhost_ssh_preauth_connections", nil, 3},
		{"vmhost_ssh_auth_penalized_sources", nil, 1},
		{"vmhost_ssh_logins_total", map[string]string{"outcome": "penalty"}, 0},
		{"vmhost_errors_total", map[string]string{"kind": "metrics_read"}, 0},
	} {
		if got, ok := valueOf(fams, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	for _, name := range []string{"vmhost_guest_pids_limit", "vmhost_guest_cpu_seconds_total"} {
		if _, ok := valueOf(fams, name, map[string]string{"guest": "bob+web"}); ok {
			t.Errorf("%s of stopped bob+web (or of an unlimited guest) is there", name)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
}

// TestSeriesFollowGuests checks a guest's series appear with it, and go
// when it goes.
func TestSeriesFollowGuests(t *testing.T) {
	h := startTestHost(t, Settings{})
	carol := map[string]string{"guest": "carol"}
	if _, ok := valueOf(scrape(t, h.url, ""), "vmhost_guest_state", carol); ok {
		t.Fatalf("carol's series before carol")
	}
	h.src.set(h.runningGuest(t, "carol", "carol"))
	if _, ok := valueOf(scrape(t, h.url, ""), "vmhost_guest_memory_bytes", carol); !ok {
		t.Fatalf("carol's memory is missing")
	}
	h.src.set()
	fams := scrape(t, h.url, "")
	for name, f := range fams {
		if strings.HasPrefix(name, "vmhost_guest_") && len(f.Metric) > 0 {
			t.Errorf("%s still has %d series after the guests went", name, len(f.Metric))
		}
	}
}

// TestGuestGoneWhileRead checks that a guest whose cgroup went away
// between the list and the read loses its cgroup series and counts no
// error.
func TestGuestGoneWhileRead(t *testing.T) {
	h := startTestHost(t, Settings{})
	g := h.runningGuest(t, "dave", "dave")
	os.RemoveAll(g.CgroupDirs[""])
	h.src.set(g)
	fams := scrape(t, h.url, "")
	if _, ok := valueOf(fams, "vmhost_guest_memory_bytes", map[string]string{"guest": "dave"}); ok {
		t.Errorf("dave's memory without a cgroup")
	}
	if v, _ := valueOf(fams, "vmhost_errors_total", map[string]string{"kind": "metrics_read"}); v != 0 {
		t.Errorf("errors_total{metrics_read} = %v, want 0", v)
	}
}

func TestOpenMetrics(t *testing.T) {
	h := startTestHost(t, Settings{})
	resp, err := get(h.url, "", "application/openmetrics-text;version=1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("Content-Type = %q, want OpenMetrics", ct)
	}
	if !strings.HasSuffix(string(b), "# EOF\n") {
		t.Errorf("OpenMetrics exposition does not end with # EOF")
	}
}
