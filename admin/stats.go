package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"vmhost/guest"
)

// maxBody bounds the JSON bodies of requests.
const maxBody = 1 << 20

// allStats answers GET /v1/stats: the stats of every running guest.
func (s *Server) allStats(r *http.Request) (any, error) {
	out := []GuestStats{}
	for _, in := range s.opts.Guests.List() {
		if !in.Running || in.Status != guest.StatusRunning {
			continue
		}
		st, err := s.opts.Limits.Stats(in.ID())
		if err != nil {
			s.log.Info("reading guest stats", "guest", in.ID(), "err", err)
			continue
		}
		out = append(out, statsView(in, st))
	}
	return out, nil
}

// guestStats answers GET /v1/guests/{id}/stats.
func (s *Server) guestStats(r *http.Request) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return nil, err
	}
	if !in.Running {
		return statsView(in, guest.Stats{}), nil
	}
	st, err := s.opts.Limits.Stats(id)
	if err != nil {
		return nil, err
	}
	return statsView(in, st), nil
}

// statsView is what the API shows of a guest's stats.
func statsView(in guest.Info, st guest.Stats) GuestStats {
	return GuestStats{
		ID: in.ID(), State: in.Status, MemoryBytes: st.MemoryBytes,
		CPUSeconds: float64(st.CPU) / float64(time.Second), Processes: st.Processes,
		NetRxBytes: st.NetRxBytes, NetTxBytes: st.NetTxBytes,
		DiskBytes: st.Disk.Bytes, DiskLimitBytes: st.Disk.LimitBytes,
		Inodes: st.Disk.Inodes, InodesLimit: st.Disk.LimitInodes,
	}
}

// setLimits answers PUT /v1/guests/{id}/limits.
func (s *Server) setLimits(r *http.Request) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	var l Limits
	if err := decodeBody(r, &l); err != nil {
		return nil, err
	}
	if err := checkLimitsChange(l); err != nil {
		return nil, err
	}
	if _, err := s.opts.Limits.ChangeLimits(id, guest.LimitsChange{Reset: l.Reset, Set: l.config()}); err != nil {
		return nil, err
	}
	s.log.Info("admin changed guest limits", "guest", id, "memory", l.MemoryBytes, "cpus", l.CPUs, "pids", l.Pids,
		"disk", l.DiskBytes, "inodes", l.Inodes)
	return l, nil
}

// checkLimitsChange refuses an empty change, and a reset with more; the
// values are the guest layer's to check.
func checkLimitsChange(l Limits) error {
	switch {
	case l.Reset && l != (Limits{Reset: true}):
		return errf(http.StatusBadRequest, "--reset goes back to the owner's limits; give it alone")
	case l == Limits{}:
		return errf(http.StatusBadRequest, "no limit to change; give --memory, --cpus, --pids, --disk or --inodes, or --reset")
	}
	return nil
}

// decodeBody decodes the JSON body of r into v, strictly.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errf(http.StatusBadRequest, "reading the request: %v", err)
	}
	return nil
}
