package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"vmhost/cluster"
	"vmhost/guest"
)

// Cluster holds the guests assigned to this node in the cluster agent
// role; the daemon's implements it over a cluster.Store.
type Cluster interface {
	// Assign checks a against the configuration in use and the host and
	// records it, replacing the assignment of the same guest, and returns
	// it as recorded (with the node's default image when a has none); a
	// new one past cluster.max_guests is refused with cluster.ErrFull.
	Assign(a cluster.Assignment) (cluster.Assignment, error)
	// Unassign drops the assignment of owner's guest name and returns it,
	// or an error wrapping cluster.ErrNotAssigned.
	Unassign(owner, name string) (cluster.Assignment, error)
	// List returns every assignment.
	List() []cluster.Assignment
	// Address6 is the IPv6 address of the guest whose IPv4 address is ip;
	// invalid without IPv6.
	Address6(ip netip.Addr) netip.Addr
	// Start makes owner's assigned guest name from its image if it is not
	// made yet, and starts it if it does not run, as a login would.
	Start(ctx context.Context, owner, name string) error
}

// ClusterAssign assigns a guest to this node: whose, which, its image and
// limits (fields left zero are defaults.limits).
type ClusterAssign struct {
	Owner  string `json:"owner"`
	Name   string `json:"name"`
	Image  string `json:"image"`
	Limits Limits `json:"limits"`
	// Volume, for a volume guest, is the directory where its volume is
	// mounted on this node: its files live there, with the ids the guest
	// sees, and go with the volume from node to node.
	Volume string `json:"volume,omitempty"`
	// Start also makes and starts the guest, as a login would (the
	// cluster's agent starts every guest placed on its node).
	Start bool `json:"start,omitempty"`
}

// ClusterUnassign drops a guest's assignment: the guest is stopped, and
// its files removed only when Remove is set.
type ClusterUnassign struct {
	Owner  string `json:"owner"`
	Name   string `json:"name"`
	Remove bool   `json:"remove,omitempty"`
}

// Unassigned is the answer to an unassignment.
type Unassigned struct {
	ID      string `json:"id"`
	Stopped bool   `json:"stopped"`
	Removed bool   `json:"removed"`
}

// ClusterGuest is a guest assigned to this node, with its state: stopped,
// starting, running, stopping or broken as for any guest, or "new" before
// its first start.
type ClusterGuest struct {
	ID       string `json:"id"`
	Owner    string `json:"owner"`
	Name     string `json:"name"`
	Image    string `json:"image"`
	Limits   Limits `json:"limits"`
	Volume   string `json:"volume,omitempty"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Address  string `json:"address,omitempty"`
	Address6 string `json:"address6,omitempty"`
}

// StateNew is the state of an assigned guest not made yet.
const StateNew = "new"

// clusterRoutes registers the routes of the agent role, when the daemon
// has it.
func (s *Server) clusterRoutes() {
	if s.opts.Cluster == nil {
		return
	}
	s.handle("GET /v1/cluster/guests", s.listAssigned)
	s.handle("POST /v1/cluster/assign", s.assign)
	s.handle("POST /v1/cluster/unassign", s.unassign)
}

// listAssigned answers GET /v1/cluster/guests.
func (s *Server) listAssigned(*http.Request) (any, error) {
	out := []ClusterGuest{}
	for _, a := range s.opts.Cluster.List() {
		out = append(out, s.clusterView(a))
	}
	return out, nil
}

// clusterView is what the API shows of an assigned guest.
func (s *Server) clusterView(a cluster.Assignment) ClusterGuest {
	l := a.Limits
	g := ClusterGuest{ID: a.ID(), Owner: a.Owner, Name: a.Name, Image: a.Image, Volume: a.Volume, State: StateNew,
		Limits: Limits{MemoryBytes: int64(l.Memory), CPUs: l.CPUs, Pids: l.Pids, DiskBytes: int64(l.Disk), Inodes: l.Inodes}}
	in, err := s.opts.Guests.Get(a.ID())
	if err != nil {
		return g
	}
	g.State, g.Error = in.Status, in.Error
	if in.IP.IsValid() {
		g.Address = in.IP.String()
		if a6 := s.opts.Cluster.Address6(in.IP); a6.IsValid() {
			g.Address6 = a6.String()
		}
	}
	return g
}

// assign answers POST /v1/cluster/assign.
func (s *Server) assign(r *http.Request) (any, error) {
	var req ClusterAssign
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Limits.Reset {
		return nil, errf(http.StatusBadRequest, "limits.reset has no meaning here; leave out the limits that are defaults.limits")
	}
	a, err := s.opts.Cluster.Assign(cluster.Assignment{Owner: req.Owner, Name: req.Name, Image: req.Image,
		Limits: req.Limits.config(), Volume: req.Volume})
	if err != nil {
		return nil, clusterError(err)
	}
	s.log.Info("admin assigned guest", "guest", a.ID(), "image", a.Image, "cpus", a.Limits.CPUs,
		"memory", int64(a.Limits.Memory), "disk", int64(a.Limits.Disk), "pids", a.Limits.Pids, "volume", a.Volume)
	if req.Start {
		if err := s.opts.Cluster.Start(r.Context(), a.Owner, a.Name); err != nil {
			return nil, fmt.Errorf("starting guest %s: %w", a.ID(), err)
		}
	}
	return s.clusterView(a), nil
}

// unassign answers POST /v1/cluster/unassign: the assignment goes first,
// so that no new login reaches the guest, then the guest is stopped, and
// removed when asked.
func (s *Server) unassign(r *http.Request) (any, error) {
	var req ClusterUnassign
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	a, err := s.opts.Cluster.Unassign(req.Owner, req.Name)
	if err != nil {
		return nil, clusterError(err)
	}
	out := Unassigned{ID: a.ID()}
	if err := s.opts.Guests.Stop(a.ID()); err == nil {
		out.Stopped = true
	} else if !errors.Is(err, guest.ErrUnknownGuest) {
		return nil, err
	}
	if req.Remove {
		if err := s.opts.Guests.Remove(a.ID()); err == nil {
			out.Removed = true
		} else if !errors.Is(err, guest.ErrUnknownGuest) {
			return nil, err
		}
	}
	s.log.Info("admin unassigned guest", "guest", a.ID(), "stopped", out.Stopped, "removed", out.Removed)
	return out, nil
}

// clusterError gives the errors of assignments their HTTP status: 404 for
// a guest not assigned, 409 for a full node, 400 for a bad assignment.
func clusterError(err error) error {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return err
	case errors.Is(err, cluster.ErrNotAssigned):
		return errf(http.StatusNotFound, "%v", err)
	case errors.Is(err, cluster.ErrFull):
		return errf(http.StatusConflict, "%v; unassign a guest, or raise cluster.max_guests", err)
	case errors.Is(err, cluster.ErrWrite):
		return err
	}
	return errf(http.StatusBadRequest, "%v", err)
}
