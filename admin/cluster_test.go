package admin

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/cluster"
	"vmhost/config"
)

// clusterAPI serves the API with a node of at most two assigned guests.
func clusterAPI(t *testing.T) *testAPI {
	t.Helper()
	store, err := cluster.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Loader{}.Parse("/etc/vmhost/config.yaml", []byte(`images:
  busybox: {source: busybox}
  debian: {source: debootstrap, suite: bookworm}
cluster: {listen: "127.0.0.1:7443", ca: ca.crt, cert: tls.crt, key: tls.key, user_ca: user-ca.pub, max_guests: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	node := &cluster.Node{Store: store, Config: func() *config.Config { return cfg },
		Host: config.Host{MemTotal: int64(8 * config.GiB), CPUs: 4},
		IPv6: func(ip netip.Addr) netip.Addr { return netip.MustParseAddr("fd00::" + ip.String()) }}
	return newTestAPI(t, func(o *Options) { o.Cluster = node })
}

func TestClusterAssign(t *testing.T) {
	a := clusterAPI(t)
	ctx := context.Background()
	list, err := a.client.ClusterGuests(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("ClusterGuests() = %v, %v; want an empty list", list, err)
	}
	web, err := a.client.Assign(ctx, ClusterAssign{Owner: "alice", Name: "web", Image: "debian", Limits: Limits{CPUs: 1, MemoryBytes: 256 << 20, DiskBytes: 1 << 30, Pids: 200}})
	if err != nil {
		t.Fatal(err)
	}
	want := ClusterGuest{ID: "alice+web", Owner: "alice", Name: "web", Image: "debian", State: StateNew,
		Limits: Limits{CPUs: 1, MemoryBytes: 256 << 20, DiskBytes: 1 << 30, Pids: 200}}
	if diff := cmp.Diff(want, web); diff != "" {
		t.Errorf("Assign(alice+web) (-want +got):\n%s", diff)
	}
	if _, err := a.client.Assign(ctx, ClusterAssign{Owner: "alice", Name: "alice", Image: "busybox"}); err != nil {
		t.Fatal(err)
	}
	list, err = a.client.ClusterGuests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantList := []ClusterGuest{
		{ID: "alice", Owner: "alice", Name: "alice", Image: "busybox", State: "running", Address: "10.9.0.2", Address6: "fd00::a09:2"},
		want,
	}
	if diff := cmp.Diff(wantList, list); diff != "" {
		t.Errorf("ClusterGuests() (-want +got):\n%s", diff)
	}
	if _, err := a.client.Assign(ctx, ClusterAssign{Owner: "alice", Name: "web", Image: "debian", Limits: Limits{CPUs: 2}}); err != nil {
		t.Errorf("assigning alice+web again with other limits: %v", err)
	}
	// Without an image, the node's default, as recorded; a volume kept.
	got, err := a.client.Assign(ctx, ClusterAssign{Owner: "alice", Name: "web", Volume: "/srv/volumes/alice"})
	if err != nil || got.Image == "" || got.Volume != "/srv/volumes/alice" {
		t.Errorf("Assign(alice+web) without an image = %+v, %v; want the default image and the volume", got, err)
	}
}

func TestClusterAssignRefused(t *testing.T) {
	a := clusterAPI(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if _, err := a.client.Assign(ctx, ClusterAssign{Owner: "bob", Name: name, Image: "busybox"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		req    ClusterAssign
		status int
		want   string
	}{
		{"a third guest", ClusterAssign{Owner: "bob", Name: "c", Image: "busybox"}, http.StatusConflict, "cluster.max_guests"},
		{"an image not defined", ClusterAssign{Owner: "bob", Name: "a", Image: "arch"}, http.StatusBadRequest, `image "arch" is not defined on this node`},
		{"a bad owner", ClusterAssign{Owner: "Bob", Name: "a", Image: "busybox"}, http.StatusBadRequest, `owner "Bob" is not a valid user name`},
		{"a bad guest name", ClusterAssign{Owner: "bob", Name: "a/b", Image: "busybox"}, http.StatusBadRequest, `guest name "a/b" is not a valid host name`},
		{"too many CPUs", ClusterAssign{Owner: "bob", Name: "a", Image: "busybox", Limits: Limits{CPUs: 64}}, http.StatusBadRequest, "limits: cpus"},
		{"too much memory", ClusterAssign{Owner: "bob", Name: "a", Image: "busybox", Limits: Limits{MemoryBytes: 1 << 40}}, http.StatusBadRequest, "limits: memory"},
		{"a reset", ClusterAssign{Owner: "bob", Name: "a", Image: "busybox", Limits: Limits{Reset: true}}, http.StatusBadRequest, "limits.reset"},
		{"a relative volume", ClusterAssign{Owner: "bob", Name: "a", Image: "busybox", Volume: "srv/x"}, http.StatusBadRequest, "not a clean absolute path"},
	}
	for _, tt := range tests {
		_, err := a.client.Assign(ctx, tt.req)
		wantAPIError(t, tt.name, err, tt.status, tt.want)
	}
	list, _ := a.client.ClusterGuests(ctx)
	if len(list) != 2 || list[0].Limits != (Limits{}) {
		t.Errorf("after refusals: %+v; want bob's two guests unchanged", list)
	}
}

func TestClusterUnassign(t *testing.T) {
	a := clusterAPI(t)
	ctx := context.Background()
	for _, req := range []ClusterAssign{{Owner: "alice", Name: "alice", Image: "busybox"}, {Owner: "bob", Name: "web", Image: "debian"}} {
		if _, err := a.client.Assign(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.client.Unassign(ctx, ClusterUnassign{Owner: "alice", Name: "alice"})
	if err != nil || got != (Unassigned{ID: "alice", Stopped: true}) {
		t.Errorf("Unassign(alice) = %+v, %v; want stopped, files kept", got, err)
	}
	if slices.Contains(a.guests.calls, "remove alice") || !slices.Contains(a.guests.calls, "stop alice") {
		t.Errorf("calls %q; want alice stopped, not removed", a.guests.calls)
	}
	got, err = a.client.Unassign(ctx, ClusterUnassign{Owner: "bob", Name: "web", Remove: true})
	if err != nil || got != (Unassigned{ID: "bob+web", Stopped: true, Removed: true}) {
		t.Errorf("Unassign(bob+web, remove) = %+v, %v; want stopped and removed", got, err)
	}
	_, err = a.client.Unassign(ctx, ClusterUnassign{Owner: "alice", Name: "alice"})
	wantAPIError(t, "unassigning twice", err, http.StatusNotFound, "not assigned to this node")
	list, _ := a.client.ClusterGuests(ctx)
	if len(list) != 0 {
		t.Errorf("ClusterGuests() after unassigning all = %+v", list)
	}
}

func TestClusterRoutesOff(t *testing.T) {
	a := newTestAPI(t, nil)
	_, err := a.client.ClusterGuests(context.Background())
	wantAPIError(t, "no cluster role", err, http.StatusNotFound, "no such API route")
}
