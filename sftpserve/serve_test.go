package sftpserve

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// The tests run OpenSSH's sftp client against Serve, started by sftp -D as
// this test binary in its helper role.

// helperEnv makes the test binary serve SFTP on stdio (see TestMain).
const helperEnv = "SFTPSERVE_TEST_HOME"

func TestMain(m *testing.M) {
	if home := os.Getenv(helperEnv); home != "" {
		err := Serve(os.Stdin, os.Stdout, Options{Home: home, Login: "alice", RFCSymlink: os.Getenv("SFTPSERVE_TEST_RFC") != ""})
		if err != nil {
			os.Stderr.WriteString("sftpserve: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sftpBatch runs OpenSSH's sftp with the batch of commands against Serve on
// home, and returns its output.
func sftpBatch(t *testing.T, home, batch string) string {
	t.Helper()
	if _, err := exec.LookPath("sftp"); err != nil {
		t.Skip("OpenSSH's sftp client is needed (openssh-client)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", "-q", "-b", "-", "-D", exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+home)
	cmd.Stdin = strings.NewReader(batch)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sftp batch %q: %v\n%s", batch, err, out.String())
	}
	return out.String()
}

// homeDir makes a home directory holding d/full.bin.
func homeDir(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "d", "full.bin"), []byte("full of bytes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestSymlinkKeepsRelativeTarget(t *testing.T) {
	home := homeDir(t)
	sftpBatch(t, home, "cd d\nln -s full.bin full.link\nln -s /etc/hostname abs.link\n")
	for link, want := range map[string]string{"d/full.link": "full.bin", "d/abs.link": "/etc/hostname"} {
		got, err := os.Readlink(filepath.Join(home, link))
		if err != nil || got != want {
			t.Errorf("readlink %s = %q, %v; want %q", link, got, err, want)
		}
	}
	if data, err := os.ReadFile(filepath.Join(home, "d/full.link")); err != nil || string(data) != "full of bytes\n" {
		t.Errorf("reading through the relative link: %q, %v", data, err)
	}
}

func TestCopyData(t *testing.T) {
	home := homeDir(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 100000)
	if err := os.WriteFile(filepath.Join(home, "big"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	sftpBatch(t, home, "cp d/full.bin copy.bin\ncp big big.copy\n")
	if data, err := os.ReadFile(filepath.Join(home, "copy.bin")); err != nil || string(data) != "full of bytes\n" {
		t.Errorf("sftp cp: copy holds %q, %v", data, err)
	}
	if data, err := os.ReadFile(filepath.Join(home, "big.copy")); err != nil || !bytes.Equal(data, big) {
		t.Errorf("sftp cp of %d bytes: copy has %d, %v", len(big), len(data), err)
	}
}

func TestHomeAndDf(t *testing.T) {
	home := homeDir(t)
	out := sftpBatch(t, home, "cd d\ncd\npwd\ndf -h\n")
	if !strings.Contains(out, "Remote working directory: "+home+"\n") {
		t.Errorf("cd: output %q, want %s", out, home)
	}
	if !strings.Contains(out, "Avail") {
		t.Errorf("df -h: output %q, want the file system's sizes", out)
	}
}

// TestExpandPathAndHome asks for expand-path@openssh.com and
// home-directory as newer OpenSSH clients do for cd ~ and ~user paths.
func TestExpandPathAndHome(t *testing.T) {
	home := homeDir(t)
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, Options{Home: home, Login: "alice", PasswdFile: passwd})
	for _, tt := range []struct{ ext, arg, want string }{
		{"expand-path@openssh.com", "~", home},
		{"expand-path@openssh.com", "~/d", home + "/d"},
		{"expand-path@openssh.com", "~alice/d", home + "/d"},
		{"expand-path@openssh.com", "~bob/x", "/home/bob/x"},
		{"expand-path@openssh.com", "d/../d", home + "/d"},
		{"home-directory", "alice", home},
		{"home-directory", "bob", "/home/bob"},
	} {
		typ, body := c.call(newPacket(fxpExtended).u32(7).str(tt.ext).str(tt.arg))
		r := &reader{b: body}
		if id, n := r.u32(), r.u32(); typ != fxpName || id != 7 || n != 1 {
			t.Errorf("%s %q: answer type %d, want one name", tt.ext, tt.arg, typ)
			continue
		}
		if got := r.str(); got != tt.want {
			t.Errorf("%s %q = %q, want %q", tt.ext, tt.arg, got, tt.want)
		}
	}
	typ, body := c.call(newPacket(fxpExtended).u32(8).str("expand-path@openssh.com").str("~nobody/x"))
	r := &reader{b: body}
	if _, code := r.u32(), r.u32(); typ != fxpStatus || code != fxNoSuchFile {
		t.Errorf("expand-path of an unknown user: type %d code %d, want no such file", typ, code)
	}
	typ, body = c.call(newPacket(fxpExtended).u32(9).str("limits@openssh.com"))
	r = &reader{b: body}
	if id, pkt, rd := r.u32(), r.u64(), r.u64(); typ != fxpExtendedReply || id != 9 || pkt != maxPacket || rd != limitRead {
		t.Errorf("limits@openssh.com: type %d id %d packet %d read %d", typ, id, pkt, rd)
	}
}

func TestLsNamesOwners(t *testing.T) {
	home := homeDir(t)
	out := sftpBatch(t, home, "ls -l d\n")
	if !strings.Contains(out, " root ") {
		t.Errorf("ls -l: %q, want the owner's name (users-groups-by-id)", out)
	}
}

func TestFsyncAndExtensions(t *testing.T) {
	home := homeDir(t)
	c := goClient(t, home, false)
	for _, e := range extensions {
		if _, ok := c.HasExtension(e.name); !ok {
			t.Errorf("the server does not offer %s", e.name)
		}
	}
	f, err := c.Create("synced")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Errorf("fsync@openssh.com: %v", err)
	}
	f.Close()
	if err := c.Symlink("synced", "s.link"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(filepath.Join(home, "s.link")); err != nil || got != "synced" {
		t.Errorf("Go client's symlink: %q, %v", got, err)
	}
}

// TestSymlinkRFCOrder sends SSH_FXP_SYMLINK in the draft's order (link,
// then target), as AsyncSSH and libssh do against a server not OpenSSH.
func TestSymlinkRFCOrder(t *testing.T) {
	home := homeDir(t)
	c := goClient(t, home, true)
	// pkg/sftp's client sends OpenSSH's order (target, link): under the
	// RFC order, its "target" is the link.
	if err := c.Symlink("rfc.link", "d/full.bin"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(filepath.Join(home, "rfc.link")); err != nil || got != "d/full.bin" {
		t.Errorf("symlink in the RFC order: rfc.link -> %q, %v; want d/full.bin", got, err)
	}
}

// goClient starts Serve on home and returns a pkg/sftp client of it.
func goClient(t *testing.T, home string, rfc bool) *sftp.Client {
	t.Helper()
	cr, sw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	sr, cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- Serve(sr, sw, Options{Home: home, Login: "alice", RFCSymlink: rfc})
		sw.Close()
	}()
	c, err := sftp.NewClientPipe(cr, cw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cw.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return c
}

// rawConn speaks SFTP packets to Serve.
type rawConn struct {
	t   *testing.T
	in  *os.File // the server's stdout
	out *os.File // the server's stdin
}

// rawClient starts Serve with opts and completes the version exchange.
func rawClient(t *testing.T, opts Options) *rawConn {
	t.Helper()
	cr, sw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	sr, cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- Serve(sr, sw, opts)
		sw.Close()
	}()
	t.Cleanup(func() {
		cw.Close()
		<-done
		cr.Close()
	})
	c := &rawConn{t: t, in: cr, out: cw}
	if typ, _ := c.call(newPacket(fxpInit).u32(3)); typ != fxpVersion {
		t.Fatalf("answer to init: type %d, want version", typ)
	}
	return c
}

// call sends p and reads the answer.
func (c *rawConn) call(p *packet) (byte, []byte) {
	c.t.Helper()
	if _, err := c.out.Write(p.bytes()); err != nil {
		c.t.Fatal(err)
	}
	typ, body, err := readPacket(c.in)
	if err != nil {
		c.t.Fatal(err)
	}
	return typ, body
}

// readPacket reads one packet: its type and the rest.
func readPacket(r io.Reader) (byte, []byte, error) {
	raw, err := readRaw(r, nil)
	if err != nil {
		return 0, nil, err
	}
	return raw[4], raw[5:], nil
}
