package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// setAutostart answers PUT /v1/guests/{id}/autostart with an
// AutostartChange body, and with the guest afterwards.
func (s *Server) setAutostart(r *http.Request) (any, error) {
	id, err := guestID(r)
	if err != nil {
		return nil, err
	}
	on, err := decodeAutostart(r)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Guests.SetAutostart(id, on); err != nil {
		return nil, err
	}
	in, err := s.opts.Guests.Get(id)
	if err != nil {
		return nil, err
	}
	g := s.view(in)
	s.log.Info("admin changed guest autostart", "guest", id, "autostart", g.Autostart, "own", g.AutostartOwn)
	return g, nil
}

// decodeAutostart reads {"autostart": true|false|null}; the key is
// required, so that an empty body does not silently drop a guest's setting.
func decodeAutostart(r *http.Request) (*bool, error) {
	var body struct {
		Autostart json.RawMessage `json:"autostart"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	raw := bytes.TrimSpace(body.Autostart)
	if len(raw) == 0 {
		return nil, errf(http.StatusBadRequest, `no autostart given; send {"autostart": true}, false, or null for the owner's setting (vmhostd guest autostart NAME on|off|default)`)
	}
	var on *bool
	if err := json.Unmarshal(raw, &on); err != nil {
		return nil, errf(http.StatusBadRequest, "autostart is %s; it must be true, false, or null for the owner's setting", raw)
	}
	return on, nil
}
