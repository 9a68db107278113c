package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// ErrNoDaemon is returned, wrapped, when no daemon answers on the socket.
var ErrNoDaemon = errors.New("no vmhostd answers")

// APIError is an error answer of the API.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return e.Message }

// Client talks to the API of a daemon over its admin socket.
type Client struct {
	socket string
	http   *http.Client
}

// NewClient returns a client of the daemon whose admin socket is socket.
func NewClient(socket string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		DisableKeepAlives: true,
	}
	return &Client{socket: socket, http: &http.Client{Transport: tr}}
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the answer of vmhostd: %w", err)
	}
	return nil
}

// send sends a request and returns a successful answer, or the error.
func (c *Client) send(ctx context.Context, method, path string, body any, hdr http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://vmhostd"+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.dialError(err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// dialError turns an error reaching the socket into advice.
func (c *Client) dialError(err error) error {
	switch {
	case isPermission(err):
		return fmt.Errorf("permission denied on the socket %s: the vmhostd admin API is for root; run the command as root (sudo vmhostd ...)", c.socket)
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w on %s: is the daemon running (vmhostd serve --config FILE), and is --config the file it uses?", ErrNoDaemon, c.socket)
	}
	return fmt.Errorf("talking to vmhostd on %s: %w", c.socket, err)
}

// readAPIError reads an error answer.
func readAPIError(resp *http.Response) error {
	var body errorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err := json.Unmarshal(data, &body); err != nil || body.Error == "" {
		body.Error = fmt.Sprintf("vmhostd answered %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return &APIError{Status: resp.StatusCode, Message: body.Error}
}

// guestPath is the API path of guest id, with a suffix.
func guestPath(id, suffix string) string {
	return "/v1/guests/" + url.PathEscape(id) + suffix
}

// query returns "?force=yes" when force is set.
func forceQuery(force bool) string {
	if force {
		return "?force=yes"
	}
	return ""
}

// Guests lists every guest.
func (c *Client) Guests(ctx context.Context) ([]Guest, error) {
	var out []Guest
	return out, c.do(ctx, http.MethodGet, "/v1/guests", nil, &out)
}

// Guest returns guest id.
func (c *Client) Guest(ctx context.Context, id string) (Guest, error) {
	var out Guest
	return out, c.do(ctx, http.MethodGet, guestPath(id, ""), nil, &out)
}

// Lifecycle runs op (start, stop or restart) on guest id; force goes ahead
// despite open SSH sessions.
func (c *Client) Lifecycle(ctx context.Context, op, id string, force bool) (Guest, error) {
	var out Guest
	return out, c.do(ctx, http.MethodPost, guestPath(id, "/"+op+forceQuery(force)), nil, &out)
}

// Reset brings guest id back to its image, confirmed.
func (c *Client) Reset(ctx context.Context, id string, force bool) (Guest, error) {
	q := "?confirm=yes"
	if force {
		q += "&force=yes"
	}
	var out Guest
	return out, c.do(ctx, http.MethodPost, guestPath(id, "/reset"+q), nil, &out)
}

// Remove removes guest id and its files.
func (c *Client) Remove(ctx context.Context, id string, force bool) error {
	return c.do(ctx, http.MethodDelete, guestPath(id, forceQuery(force)), nil, nil)
}

// Stats returns the stats of guest id, or of every running guest when id is
// empty.
func (c *Client) Stats(ctx context.Context, id string) ([]GuestStats, error) {
	if id == "" {
		var out []GuestStats
		return out, c.do(ctx, http.MethodGet, "/v1/stats", nil, &out)
	}
	var one GuestStats
	err := c.do(ctx, http.MethodGet, guestPath(id, "/stats"), nil, &one)
	return []GuestStats{one}, err
}

// SetLimits changes the limits of guest id.
func (c *Client) SetLimits(ctx context.Context, id string, l Limits) error {
	return c.do(ctx, http.MethodPut, guestPath(id, "/limits"), l, nil)
}

// SetAutostart sets the own autostart of guest id (nil: its owner's again)
// and returns the guest afterwards.
func (c *Client) SetAutostart(ctx context.Context, id string, on *bool) (Guest, error) {
	var out Guest
	return out, c.do(ctx, http.MethodPut, guestPath(id, "/autostart"), AutostartChange{Autostart: on}, &out)
}

// Images lists the built images.
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	var out []Image
	return out, c.do(ctx, http.MethodGet, "/v1/images", nil, &out)
}

// RemoveImage removes image name.
func (c *Client) RemoveImage(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/images/"+url.PathEscape(name), nil, nil)
}

// Users lists the users of the configuration.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out []User
	return out, c.do(ctx, http.MethodGet, "/v1/users", nil, &out)
}

// Reload makes the daemon read its configuration again.
func (c *Client) Reload(ctx context.Context) (Reloaded, error) {
	var out Reloaded
	return out, c.do(ctx, http.MethodPost, "/v1/reload", nil, &out)
}

// BuildImage builds image name (again with rebuild), writing the progress
// lines to progress.
func (c *Client) BuildImage(ctx context.Context, name string, rebuild bool, progress io.Writer) (Image, error) {
	q := ""
	if rebuild {
		q = "?rebuild=yes"
	}
	resp, err := c.send(ctx, http.MethodPost, "/v1/images/"+url.PathEscape(name)+"/build"+q, nil, nil)
	if err != nil {
		return Image{}, err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev BuildEvent
		if err := dec.Decode(&ev); err != nil {
			return Image{}, fmt.Errorf("reading the build of image %s: %w", name, err)
		}
		switch {
		case ev.Error != "":
			return Image{}, errors.New(ev.Error)
		case ev.Image != nil:
			return *ev.Image, nil
		default:
			fmt.Fprintln(progress, ev.Progress)
		}
	}
}

// Sessions lists the kept terminal sessions and the recordings of guest,
// or of every guest for "".
func (c *Client) Sessions(ctx context.Context, guest string) (SessionList, error) {
	var out SessionList
	path := "/v1/sessions"
	if guest != "" {
		path += "?guest=" + url.QueryEscape(guest)
	}
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// Recording opens the recording id (GUEST/FILE, as Sessions lists it).
func (c *Client) Recording(ctx context.Context, id string) (io.ReadCloser, error) {
	guest, file, ok := strings.Cut(id, "/")
	if !ok {
		return nil, fmt.Errorf("%q is not a recording id: ids are GUEST/FILE, as vmhostd session ls shows them", id)
	}
	resp, err := c.send(ctx, http.MethodGet, "/v1/recordings/"+url.PathEscape(guest)+"/"+url.PathEscape(file), nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
