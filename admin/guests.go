package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"vmhost/guest"
)

// guestID returns the {id} of the request: a login such as alice or
// alice+web.
func guestID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	owner, name, _ := strings.Cut(id, "+")
	if id == "" || owner == "" || strings.ContainsAny(id, "/ ") || strings.Contains(name, "+") {
		return "", errf(http.StatusBadRequest, "%q is not a guest name; write it as a login: OWNER or OWNER+NAME", id)
	}
	return guest.GuestID(owner, name), nil
}

// listGuests answers GET /v1/guests.
func (s *Server) listGuests(r *http.Request) (any, error) {
	infos := s.opts.Guests.List()
	out := make([]Guest, 0, len(infos))
	for _, in := range infos {
		out = append(out, s.view(in))
	}
	return out, nil
}

// showGuest answers GET /v1/guests/{id}.
func (s *Server) showGuest(r *http.Request) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return nil, err
	}
	return s.view(in), nil
}

// view is what the API shows of a guest.
func (s *Server) view(in guest.Info) Guest {
	g := Guest{
		ID: in.ID(), Owner: in.Owner, Name: in.Name, Image: in.Image,
		State: in.Status, Error: in.Error, Created: in.Created, Rootfs: in.Rootfs,
		Sessions: s.opts.Sessions.Sessions(in.ID()),
	}
	g.Autostart, g.AutostartOwn = guest.Autostarts(in, s.opts.Daemon.Config())
	if in.IP.IsValid() {
		g.Address = in.IP.String()
	}
	if !in.Running {
		return g
	}
	g.Pid = in.InitPid
	if started, ok := startTime(in.InitStart); ok {
		g.Started = started
		g.UptimeSeconds = int64(s.opts.Now().Sub(started) / time.Second)
	}
	if s.opts.Limits != nil && in.Status == guest.StatusRunning { // not while a stop or restart holds it
		if st, err := s.opts.Limits.Stats(in.ID()); err == nil {
			g.MemoryBytes = st.MemoryBytes
		}
	}
	return g
}

// startGuest answers POST /v1/guests/{id}/start.
func (s *Server) startGuest(r *http.Request) (any, error) {
	return s.lifecycle(r, "start", false, func(ctx context.Context, id string) error {
		return s.opts.Guests.Start(ctx, id)
	})
}

// stopGuest answers POST /v1/guests/{id}/stop.
func (s *Server) stopGuest(r *http.Request) (any, error) {
	return s.lifecycle(r, "stop", true, func(_ context.Context, id string) error {
		return s.opts.Guests.Stop(id)
	})
}

// restartGuest answers POST /v1/guests/{id}/restart.
func (s *Server) restartGuest(r *http.Request) (any, error) {
	return s.lifecycle(r, "restart", true, s.opts.Guests.Restart)
}

// resetGuest answers POST /v1/guests/{id}/reset?confirm=yes.
func (s *Server) resetGuest(r *http.Request) (any, error) {
	if r.URL.Query().Get("confirm") != "yes" {
		return nil, errf(http.StatusBadRequest, "resetting guest %s drops every file it changed and brings it back to its image; confirm it (vmhostd guest reset NAME --yes)", r.PathValue("id"))
	}
	return s.lifecycle(r, "reset", true, func(_ context.Context, id string) error {
		return s.opts.Guests.Reset(id)
	})
}

// removeGuest answers DELETE /v1/guests/{id}.
func (s *Server) removeGuest(r *http.Request) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkIdle(r, id, "remove"); err != nil {
		return nil, err
	}
	if err := s.opts.Guests.Remove(id); err != nil {
		return nil, err
	}
	s.log.Info("admin removed guest", "guest", id)
	return map[string]string{"removed": id}, nil
}

// lifecycle runs op on the guest of the request and answers with the guest
// afterwards. With checkSessions, a guest with SSH sessions open is refused
// unless ?force=yes.
func (s *Server) lifecycle(r *http.Request, what string, checkSessions bool, op func(context.Context, string) error) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	if checkSessions {
		err = s.checkIdle(r, id, what)
	} else {
		err = s.checkSettled(id, what)
	}
	if err != nil {
		return nil, err
	}
	if err := op(r.Context(), id); err != nil {
		return nil, err
	}
	s.log.Info("admin request done", "op", what, "guest", id)
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return nil, err
	}
	return s.view(in), nil
}

// checkIdle refuses an operation on a guest with SSH sessions open, or one
// that is starting or stopping, unless the request says force=yes.
func (s *Server) checkIdle(r *http.Request, id, what string) error {
	if err := s.checkSettled(id, what); err != nil {
		return err
	}
	if r.URL.Query().Get("force") == "yes" {
		return nil
	}
	if n := s.opts.Sessions.Sessions(id); n > 0 {
		return errf(http.StatusConflict, "guest %s is busy: %d SSH connection(s) open; ask its user to log out, or %s it anyway with --force", id, n, what)
	}
	return nil
}

// checkSettled refuses an operation on a guest that is starting or
// stopping, and answers 404 for an unknown guest.
func (s *Server) checkSettled(id, what string) error {
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return err
	}
	if in.Status == guest.StatusStarting || in.Status == guest.StatusStopping {
		return errf(http.StatusConflict, "guest %s is busy: it is %s; try to %s it again in a moment", id, in.Status, what)
	}
	return nil
}
