package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python3Path is the python3 whose http.server the wget test fetches from.
const python3Path = "/usr/bin/python3"

// serveHTTPOutside runs `python3 -m http.server --bind ::` (both IPv4 and
// IPv6) on port in the outside host's netns, serving dir, and waits until
// it answers on the outside's IPv4 address; it is killed when the test
// ends.
func serveHTTPOutside(t *testing.T, o *outside, dir string, port int) {
	t.Helper()
	ns := os.NewFile(uintptr(o.ns), "outside-netns") // not closed: o.ns is the outside's
	cmd := exec.Command("/usr/bin/nsenter", "--net=/proc/self/fd/3", python3Path, "-m", "http.server", "--bind", "::", fmt.Sprint(port))
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{ns}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting python3 -m http.server in the outside netns: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := netip.AddrPortFrom(o.addr, uint16(port)).String()
	waitFor(t, 10*time.Second, "python3 -m http.server on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// TestToolboxWgetOutside runs the default busybox image's wget against
// python3 -m http.server on an outside host: by IPv4 and IPv6 address, by
// IPv4 and IPv6 name (from the guest's /etc/hosts), through a redirect, and
// by a name of the gateway's DNS server (the guest's own, with A and AAAA
// answers, against busybox httpd). It also pins down the one crash found:
// Debian's busybox-static 1.35 wget dies of SIGSEGV on -T (it was built
// without FEATURE_WGET_TIMEOUT but still parses -T SEC, into a NULL
// pointer), before any network I/O; `timeout SECS wget` is the workaround.
func TestToolboxWgetOutside(t *testing.T) {
	requireTools(t, python3Path, "/usr/bin/nsenter")
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	o := newOutside(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"f.txt": "hello-outside\n", "sub/index.html": "in-sub\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	serveHTTPOutside(t, o, dir, port)
	d.mustSSH(t, "alice", fmt.Sprintf("printf '%s outside4\\n%s outside6\\n' >> /etc/hosts", o.addr, o.addr6))
	d.serveWWW(t, "alice", 8080, "in-guest")
	tests := []struct{ name, url, want string }{
		{"IPv4 address", fmt.Sprintf("http://%s:%d/f.txt", o.addr, port), "hello-outside\n"},
		{"IPv6 address", fmt.Sprintf("http://[%s]:%d/f.txt", o.addr6, port), "hello-outside\n"},
		{"IPv4 name", fmt.Sprintf("http://outside4:%d/f.txt", port), "hello-outside\n"},
		{"IPv6 name", fmt.Sprintf("http://outside6:%d/f.txt", port), "hello-outside\n"},
		{"redirect", fmt.Sprintf("http://outside4:%d/sub", port), "in-sub\n"},
		{"DNS name", "http://alice.vmhost:8080/", "in-guest\n"},
		{"DNS name, search domain", "http://alice:8080/", "in-guest\n"},
	}
	for _, tt := range tests {
		out, errOut, code := d.ssh(t, "alice", "wget -O - "+tt.url)
		if code != 0 || out != tt.want {
			t.Errorf("%s: wget -O - %s: exit %d, stdout %q, stderr %q; want %q", tt.name, tt.url, code, out, errOut, tt.want)
		}
	}
	url := tests[0].url
	out, errOut, code := d.ssh(t, "alice", "timeout 10 wget -O - "+url)
	if code != 0 || out != "hello-outside\n" {
		t.Errorf("timeout 10 wget -O - %s: exit %d, stdout %q, stderr %q; want hello-outside", url, code, out, errOut)
	}
	help, _, _ := d.ssh(t, "alice", "wget --help 2>&1")
	out, errOut, _ = d.ssh(t, "alice", "wget -T 10 -O - "+url+"; echo rc=$?")
	if hasT := strings.Contains(help, "-T SEC"); !hasT && !strings.HasSuffix(out, "rc=139\n") || hasT && !strings.HasSuffix(out, "rc=0\n") {
		t.Errorf("wget -T 10 (busybox lists -T: %v): stdout %q, stderr %q; want SIGSEGV (139) without -T, 0 with it", hasT, out, errOut)
	}
}
