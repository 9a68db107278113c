package e2e

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// guestWebPort is where the forwarding tests serve HTTP on a guest's loopback.
const guestWebPort = 8080

// forwardWait bounds waiting for a forward to come up.
const forwardWait = 20 * time.Second

// serveLoopbackWWW serves body over HTTP on the guest's 127.0.0.1 only, with
// busybox httpd, so that only a forward from inside the guest reaches it.
func (d *daemon) serveLoopbackWWW(t testing.TB, login string, port int, body string) {
	t.Helper()
	d.mustSSH(t, login, fmt.Sprintf("mkdir -p /srv/lo && echo %s > /srv/lo/index.html && httpd -p 127.0.0.1:%d -h /srv/lo", body, port))
}

// httpGetOn sends an HTTP/1.0 request for / on c and returns the whole answer.
func httpGetOn(t testing.TB, c net.Conn) string {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(sshTimeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatalf("sending an HTTP request: %v", err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the HTTP answer: %v", err)
	}
	return string(b)
}

// dialWhenUp dials network address until it answers with want, for a
// forward that is still coming up; it returns the answer.
func dialWhenUp(t testing.TB, network, address string, get func(net.Conn) string, want string) string {
	t.Helper()
	var got string
	waitFor(t, forwardWait, fmt.Sprintf("%s %s to answer %q", network, address, want), func() bool {
		c, err := net.DialTimeout(network, address, time.Second)
		if err != nil {
			return false
		}
		got = get(c)
		return strings.Contains(got, want)
	})
	return got
}

// TestToolboxForwarding checks ssh -L, -D, -W and -R and Unix socket
// forwarding: each reaches inside the guest's own network namespace and
// files, as VS Code Remote-SSH and other tools use them.
func TestToolboxForwarding(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "")
	key := d.keyOf(t, "alice")
	d.serveLoopbackWWW(t, "alice", guestWebPort, "hello-guest-loopback")
	guestWeb := "127.0.0.1:" + strconv.Itoa(guestWebPort)
	get := func(c net.Conn) string { return httpGetOn(t, c) }

	t.Run("Local", func(t *testing.T) {
		port := freePort(t)
		startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-o", "ExitOnForwardFailure=yes",
			"-L", fmt.Sprintf("127.0.0.1:%d:%s", port, guestWeb))...)
		dialWhenUp(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port), get, "hello-guest-loopback")
	})
	t.Run("Dynamic", func(t *testing.T) {
		port := freePort(t)
		startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-D", fmt.Sprintf("127.0.0.1:%d", port))...)
		socks := fmt.Sprintf("127.0.0.1:%d", port)
		for _, host := range []string{"127.0.0.1", "localhost"} {
			dialWhenUp(t, "tcp", socks, func(c net.Conn) string {
				if err := socks5Connect(c, host, guestWebPort); err != nil {
					c.Close()
					return err.Error()
				}
				return httpGetOn(t, c)
			}, "hello-guest-loopback")
		}
	})
	t.Run("Stdio", func(t *testing.T) {
		res := mustRun(t, "GET / HTTP/1.0\r\n\r\n", sshPath, d.sshArgs(key, "alice", "-W", guestWeb)...)
		if !strings.Contains(res.stdout, "hello-guest-loopback") {
			t.Errorf("ssh -W %s = %q, want the guest's page", guestWeb, res.stdout)
		}
	})
	t.Run("Remote", func(t *testing.T) { testRemoteForward(t, d, key) })
	t.Run("Unix", func(t *testing.T) { testUnixForward(t, d, key) })
}

// testRemoteForward checks ssh -R with a fixed port and with port 0: a
// service on the host's 127.0.0.1 is reached from inside the guest on the
// guest's own 127.0.0.1.
func testRemoteForward(t *testing.T, d *daemon, key string) {
	host := serveHost(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\nhello-from-host\n")
	})
	guestPort := 20000 + int(time.Now().UnixNano()%10000)
	startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-o", "ExitOnForwardFailure=yes",
		"-R", fmt.Sprintf("127.0.0.1:%d:%s", guestPort, host))...)
	d.waitGuestGet(t, "alice", guestPort, "hello-from-host")

	// Port 0: the server picks a port and the client says which (-v).
	b := startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-v", "-N", "-o", "ExitOnForwardFailure=yes",
		"-R", "0:"+host)...)
	re := regexp.MustCompile(`Allocated port (\d+) for remote forward`)
	var m []string
	waitFor(t, forwardWait, "ssh -R 0 to report the allocated port", func() bool {
		m = re.FindStringSubmatch(b.stderr.String())
		return m != nil
	})
	port, _ := strconv.Atoi(m[1])
	d.waitGuestGet(t, "alice", port, "hello-from-host")
}

// waitGuestGet fetches / from 127.0.0.1:port inside the guest until the
// answer holds want.
func (d *daemon) waitGuestGet(t testing.TB, login string, port int, want string) {
	t.Helper()
	var out string
	waitFor(t, forwardWait, fmt.Sprintf("127.0.0.1:%d in the guest to answer %q", port, want), func() bool {
		out, _, _ = d.ssh(t, login, httpGetCmd("127.0.0.1", port))
		return strings.Contains(out, want)
	})
}

// testUnixForward checks Unix socket forwarding both ways: ssh -L from a
// socket on the host to a socket inside the guest, and ssh -R from a socket
// inside the guest to a TCP service on the host. The socket ssh -R made is
// removed when the connection ends.
func testUnixForward(t *testing.T, d *daemon, key string) {
	d.uploadHelper(t, "alice")
	d.mustSSH(t, "alice", "nohup "+guestHelperPath+" unix-serve /tmp/app.sock hello-unix >/dev/null 2>&1 &")
	local := filepath.Join(t.TempDir(), "l.sock")
	startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-o", "ExitOnForwardFailure=yes",
		"-L", local+":/tmp/app.sock")...)
	dialWhenUp(t, "unix", local, func(c net.Conn) string {
		defer c.Close()
		b, _ := io.ReadAll(c)
		return string(b)
	}, "hello-unix")

	host := serveHost(t, func(c net.Conn) { io.WriteString(c, "hello-host-over-unix\n") })
	b := startBackground(t, nil, sshPath, d.sshArgs(key, "alice", "-N", "-o", "ExitOnForwardFailure=yes",
		"-R", "/tmp/r.sock:"+host)...)
	get := "echo | " + guestHelperPath + " unix-get /tmp/r.sock"
	waitFor(t, forwardWait, "the guest's /tmp/r.sock to reach the host", func() bool {
		out, _, _ := d.ssh(t, "alice", get)
		return strings.Contains(out, "hello-host-over-unix")
	})
	if mode := d.mustSSH(t, "alice", "stat -c %a /tmp/r.sock"); mode != "600\n" {
		t.Errorf("the socket ssh -R made has mode %q, want 600 (sshd's StreamLocalBindMask 0177)", mode)
	}
	b.cmd.Process.Signal(os.Interrupt)
	waitFor(t, forwardWait, "/tmp/r.sock to be removed after ssh -R ended", func() bool {
		_, _, code := d.ssh(t, "alice", "test -e /tmp/r.sock")
		return code == 1
	})
}

// socks5Connect asks the SOCKS5 server on c to connect to host:port
// (RFC 1928, no authentication, a domain name).
func socks5Connect(c net.Conn, host string, port int) error {
	c.SetDeadline(time.Now().Add(sshTimeout))
	req := []byte{5, 1, 0, 5, 1, 0, 3, byte(len(host))}
	req = append(req, host...)
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := c.Write(req); err != nil {
		return err
	}
	reply := make([]byte, 2+10)
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("reading the SOCKS5 replies: %w", err)
	}
	if reply[0] != 5 || reply[1] != 0 || reply[3] != 0 {
		return fmt.Errorf("SOCKS5 server refused: % x", reply)
	}
	return nil
}
