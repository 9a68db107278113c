package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestSetAutostart(t *testing.T) {
	a := newTestAPI(t, nil) // alice's guests autostart by the config; bob's do not
	ctx := context.Background()
	steps := []struct {
		id       string
		on       *bool
		want     bool
		wantOwn  bool
		wantCall string
	}{
		{"bob+web", new(true), true, true, "autostart bob+web"},
		{"alice", new(false), false, true, "autostart alice"},
		{"bob+web", nil, false, false, "autostart bob+web"},
	}
	for _, s := range steps {
		g, err := a.client.SetAutostart(ctx, s.id, s.on)
		if err != nil {
			t.Fatalf("SetAutostart(%s, %v) = %v", s.id, s.on, err)
		}
		if g.ID != s.id || g.Autostart != s.want || g.AutostartOwn != s.wantOwn {
			t.Errorf("SetAutostart(%s) answered %s autostart=%v own=%v; want %v own=%v", s.id, g.ID, g.Autostart, g.AutostartOwn, s.want, s.wantOwn)
		}
		if call := a.guests.calls[len(a.guests.calls)-1]; call != s.wantCall {
			t.Errorf("last call = %q, want %q", call, s.wantCall)
		}
	}
	shown, err := a.client.Guest(ctx, "alice")
	if err != nil || shown.Autostart || !shown.AutostartOwn {
		t.Errorf("Guest(alice) = autostart %v own %v, %v; want false, its own", shown.Autostart, shown.AutostartOwn, err)
	}
	list, err := a.client.Guests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range list {
		if g.ID == "carol" && (g.Autostart || g.AutostartOwn) {
			t.Errorf("carol in the list: autostart %v own %v; want false, from her owner", g.Autostart, g.AutostartOwn)
		}
	}
	_, err = a.client.SetAutostart(ctx, "nobody", new(true))
	wantAPIError(t, "unknown guest", err, http.StatusNotFound, "no such guest; see vmhostd guest ls")
	_, err = a.client.SetAutostart(ctx, "a+b+c", new(true))
	wantAPIError(t, "bad name", err, http.StatusBadRequest, "is not a guest name")
}

func TestSetAutostartBadBody(t *testing.T) {
	a := newTestAPI(t, nil)
	for _, tt := range []struct{ body, want string }{
		{`{}`, "no autostart given"},
		{`{"autostart": "yes"}`, `autostart is "yes"; it must be true, false, or null`},
		{`{"autostart": 1}`, "autostart is 1"},
		{`{"autostart": true, "x": 1}`, `unknown field "x"`},
		{`nope`, "reading the request"},
	} {
		code, msg := putRaw(t, a.socket, "/v1/guests/alice/autostart", tt.body)
		if code != http.StatusBadRequest || !strings.Contains(msg, tt.want) {
			t.Errorf("PUT %s = %d %q, want 400 with %q", tt.body, code, msg, tt.want)
		}
	}
	if len(a.guests.calls) != 0 {
		t.Errorf("calls after bad requests = %q, want none", a.guests.calls)
	}
}

// putRaw sends body as is to path on the API's socket and returns the
// status and error message of the answer.
func putRaw(t *testing.T, socket, path, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodPut, "http://vmhostd"+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e errorBody
	json.Unmarshal(data, &e)
	return resp.StatusCode, e.Error
}
