package admin

import (
	"maps"
	"net/http"
	"slices"
)

// listUsers answers GET /v1/users: the users of the configuration in use,
// with their settings and guests.
func (s *Server) listUsers(r *http.Request) (any, error) {
	cfg := s.opts.Daemon.Config()
	guests := map[string][]string{}
	for _, in := range s.opts.Guests.List() {
		guests[in.Owner] = append(guests[in.Owner], in.ID())
	}
	out := []User{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Users)) {
		u := cfg.Users[name]
		l := cfg.LimitsFor(name)
		view := User{
			Name: name, Image: cfg.ImageFor(name), MaxGuests: cfg.MaxGuestsFor(name),
			Keys: len(u.Keys), KeysFile: u.AuthorizedKeysFile,
			Limits: Limits{MemoryBytes: int64(l.Memory), CPUs: l.CPUs, Pids: l.Pids,
				DiskBytes: int64(l.Disk), Inodes: l.Inodes},
			Autostart: cfg.AutostartFor(name), Guests: guests[name],
		}
		if d := cfg.IdleStopFor(name); d > 0 {
			view.IdleStop = d.String()
		}
		if view.Guests == nil {
			view.Guests = []string{}
		}
		out = append(out, view)
	}
	return out, nil
}

// reload answers POST /v1/reload.
func (s *Server) reload(r *http.Request) (any, error) {
	res, err := s.opts.Daemon.Reload()
	if err != nil {
		return nil, errf(http.StatusBadRequest, "the new configuration is refused and the one in use is kept: %v", err)
	}
	s.log.Info("admin reloaded the configuration", "config", res.Config)
	return res, nil
}
