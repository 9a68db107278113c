package web

import (
	"net/http"
	"time"
)

// GuestUsage is one guest as the admins' page shows it: whose, its state,
// what it uses now and when it was last used.
type GuestUsage struct {
	Owner string `json:"owner"`
	Guest string `json:"guest"`
	// Login names the guest as ssh does: owner or owner+guest.
	Login string `json:"login"`
	State string `json:"state"`
	// CPUSeconds is the CPU time the guest used since it started; the
	// page shows its rate between two looks.
	CPUSeconds  float64 `json:"cpu_seconds"`
	MemoryBytes int64   `json:"memory_bytes"`
	Processes   int64   `json:"processes"`
	// DiskBytes is what its files take on its own disk, of
	// DiskLimitBytes (zero: no disk of its own).
	DiskBytes      int64  `json:"disk_bytes"`
	DiskLimitBytes int64  `json:"disk_limit_bytes"`
	NetRxBytes     uint64 `json:"net_rx_bytes"`
	NetTxBytes     uint64 `json:"net_tx_bytes"`
	// Connected counts its SSH and browser connections now.
	Connected int `json:"connected"`
	// Active is when it was last used (now while connected), since the
	// daemon started; zero when not since then.
	Active time.Time `json:"active,omitzero"`
}

// adminGuests answers GET /api/admin/guests: every guest with its usage,
// to admins only.
func (s *Server) adminGuests(w http.ResponseWriter, r *http.Request) {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return
	}
	if !s.opts.Config().IsAdmin(b.person) {
		s.audit.Info("web request refused", "user", b.person, "path", r.URL.Path, "reason", "not an admin")
		fail(w, http.StatusForbidden, "this page is for the admins named in web.admins")
		return
	}
	out := []GuestUsage{}
	if s.opts.Usage != nil {
		out = append(out, s.opts.Usage()...)
	}
	writeJSON(w, http.StatusOK, out)
}

// adminPage answers GET /admin: the admins' page, 403 for anyone else
// logged in.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	if b, _ := s.browserOf(r); b != nil && !s.opts.Config().IsAdmin(b.person) {
		fail(w, http.StatusForbidden, "this page is for the admins named in web.admins")
		return
	}
	s.page("admin.html")(w, r)
}
