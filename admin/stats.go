package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"vmhost/config"
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
	if err := checkLimits(l); err != nil {
		return nil, err
	}
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return nil, err
	}
	next := config.Limits{}
	if !l.Reset {
		if in.Limits != nil {
			next = *in.Limits
		}
		next = next.Override(l.config())
	}
	if err := next.Check(config.LocalHost()); err != nil {
		return nil, errf(http.StatusBadRequest, "limits of guest %s: %v", id, err)
	}
	if err := s.opts.Limits.SetLimits(id, next); err != nil {
		return nil, err
	}
	s.log.Info("admin changed guest limits", "guest", id, "memory", l.MemoryBytes, "cpus", l.CPUs, "pids", l.Pids,
		"disk", l.DiskBytes, "inodes", l.Inodes)
	return l, nil
}

// checkLimits refuses an empty change and negative values.
func checkLimits(l Limits) error {
	switch {
	case l.Reset && l != (Limits{Reset: true}):
		return errf(http.StatusBadRequest, "--reset goes back to the owner's limits; give it alone")
	case l == Limits{}:
		return errf(http.StatusBadRequest, "no limit to change; give --memory, --cpus, --pids, --disk or --inodes, or --reset")
	case l.MemoryBytes < 0 || l.CPUs < 0 || l.Pids < 0 || l.DiskBytes < 0 || l.Inodes < 0:
		return errf(http.StatusBadRequest, "limits must be positive")
	case l.MemoryBytes != 0 && l.MemoryBytes < 4<<20:
		return errf(http.StatusBadRequest, "memory %d bytes is too little; a guest needs at least 4MiB", l.MemoryBytes)
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
