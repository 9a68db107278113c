package admin

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends raw bytes on a new connection to the test API and
// returns the connection, with a deadline.
func rawRequest(t *testing.T, a *testAPI, raw string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", a.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantClosed checks that the server closes c, with nothing more sent, within
// a few seconds.
func wantClosed(t *testing.T, what string, r io.Reader) {
	t.Helper()
	start := time.Now()
	if n, err := io.Copy(io.Discard, r); err != nil || n != 0 {
		t.Errorf("%s: after the answer, %d bytes and %v; want the connection closed", what, n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%s: closed after %v, want at once", what, d)
	}
}

func TestRequestBounds(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		code int
		want string
	}{
		{"body never comes", "POST /v1/reload HTTP/1.1\r\nHost: vmhostd\r\nContent-Length: 100\r\n\r\nhello",
			http.StatusRequestTimeout, "the request's body did not come within 300ms"},
		{"body too big", "PUT /v1/guests/alice/limits HTTP/1.1\r\nHost: vmhostd\r\nContent-Length: 2000000\r\n\r\n" + strings.Repeat("x", 1<<20+10),
			http.StatusRequestEntityTooLarge, "the request's body is more than 1048576 bytes"},
		{"chunked body never ends", "POST /v1/reload HTTP/1.1\r\nHost: vmhostd\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			http.StatusRequestTimeout, "did not come within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, func(o *Options) { o.BodyTimeout = 300 * time.Millisecond })
			start := time.Now()
			br := bufio.NewReader(rawRequest(t, a, tt.raw))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.want) {
				t.Errorf("answer %d %s, want %d with %q", resp.StatusCode, body, tt.code, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("answered after %v, want within the body timeout", d)
			}
			wantClosed(t, tt.name, br)
		})
	}
}

func TestRequestBodyRead(t *testing.T) {
	a := newTestAPI(t, func(o *Options) { o.BodyTimeout = 300 * time.Millisecond })
	// A body that comes in pieces, within the timeout, is read whole.
	c := rawRequest(t, a, "PUT /v1/guests/alice/autostart HTTP/1.1\r\nHost: vmhostd\r\nContent-Length: 18\r\n\r\n{\"autostart\":")
	time.Sleep(100 * time.Millisecond)
	io.WriteString(c, "true}")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("autostart in two pieces: %d %s, want 200", resp.StatusCode, body)
	}
}

func TestIdleAndHeaderTimeouts(t *testing.T) {
	a := newTestAPI(t, func(o *Options) {
		o.IdleTimeout = 300 * time.Millisecond
		o.HeaderTimeout = 300 * time.Millisecond
	})
	// Half a request line, then nothing: closed with no answer but an error.
	c := rawRequest(t, a, "GET /v1/gue")
	start := time.Now()
	io.Copy(io.Discard, c)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a connection with half a request line closed after %v, want within the header timeout", d)
	}
	// A connection idle after its answer is closed.
	br := bufio.NewReader(rawRequest(t, a, "GET /v1/users HTTP/1.1\r\nHost: vmhostd\r\n\r\n"))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/users = %v, %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	wantClosed(t, "idle connection", br)
}
