package sftpserve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/pkg/sftp"
)

// Options configure Serve.
type Options struct {
	// Home is the working directory relative paths start from, and what
	// ~ expands to.
	Home string
	// Login is the name the user logged in with; ~Login is Home too, as on
	// a VM where that user has root.
	Login string
	// RFCSymlink says the client sends SSH_FXP_SYMLINK's paths in the
	// draft's order (link, then target), as AsyncSSH and libssh do against
	// servers that are not OpenSSH; others send OpenSSH's (target, then
	// link).
	RFCSymlink bool
	// PasswdFile and GroupFile name the account files read for user and
	// group names; /etc/passwd and /etc/group when empty.
	PasswdFile, GroupFile string
}

// front relays a client's packets to pkg/sftp's server and answers some
// itself.
type front struct {
	opts  Options
	outMu sync.Mutex
	out   io.Writer

	mu      sync.Mutex
	pending map[uint32]string // SSH_FXP_OPEN id to the path it opens
	handles map[string]string // pkg/sftp's handle to the path it opened
}

// extensions are the extensions the front answers, with their versions.
var extensions = []struct{ name, version string }{
	{"fsync@openssh.com", "1"},
	{"copy-data", "1"},
	{"limits@openssh.com", "1"},
	{"expand-path@openssh.com", "1"},
	{"home-directory", "1"},
	{"users-groups-by-id@openssh.com", "1"},
}

// maxPending bounds the opens awaiting their handle.
const maxPending = 4096

// Serve serves SFTP on in and out until the client closes in. It returns
// nil at the client's end.
func Serve(in io.Reader, out io.WriteCloser, opts Options) error {
	if opts.Home == "" {
		opts.Home = "/"
	}
	f := &front{opts: opts, out: out, pending: map[uint32]string{}, handles: map[string]string{}}
	srvIn, toSrv := io.Pipe()
	fromSrv, srvOut := io.Pipe()
	srv, err := sftp.NewServer(struct {
		io.Reader
		io.WriteCloser
	}{srvIn, srvOut}, sftp.WithServerWorkingDirectory(opts.Home), sftp.WithAllocator())
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() {
		err := srv.Serve()
		srvOut.Close()
		served <- err
	}()
	relayed := make(chan error, 1)
	go func() { relayed <- f.relayServer(fromSrv) }()
	cerr := f.relayClient(in, toSrv)
	toSrv.Close()
	serr := <-served
	rerr := <-relayed
	fromSrv.Close()
	if errors.Is(serr, io.EOF) {
		serr = nil
	}
	return errors.Join(cerr, serr, rerr)
}

// write sends one packet to the client.
func (f *front) write(p []byte) error {
	f.outMu.Lock()
	defer f.outMu.Unlock()
	_, err := f.out.Write(p)
	return err
}

// relayClient reads the client's packets until it is done.
func (f *front) relayClient(in io.Reader, toSrv io.Writer) error {
	var buf []byte
	for {
		raw, err := readRaw(in, buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading from the client: %w", err)
		}
		buf = raw
		t, body := raw[4], raw[5:]
		answer, ok := f.handle(t, body)
		if ok {
			if err := f.write(answer); err != nil {
				return err
			}
			continue
		}
		f.follow(t, body)
		if _, err := toSrv.Write(raw); err != nil {
			return fmt.Errorf("writing to the server: %w", err)
		}
	}
}

// frame is the packet of type t and body.
func frame(t byte, body []byte) []byte {
	p := newPacket(t)
	p.b = append(p.b, body...)
	return p.bytes()
}

// handle answers a packet the front serves, reporting whether it did.
func (f *front) handle(t byte, body []byte) ([]byte, bool) {
	r := &reader{b: body}
	switch t {
	case fxpSymlink:
		id := r.u32()
		a, b := r.str(), r.str()
		if r.err != nil {
			return statusPacket(id, fxBadMessage, "malformed symlink request"), true
		}
		return f.symlink(id, a, b), true
	case fxpExtended:
		id := r.u32()
		name := r.str()
		h, ok := f.extension(name)
		if !ok || r.err != nil {
			return nil, false
		}
		return h(id, r), true
	}
	return nil, false
}

// follow notes the opens and closes the client asks pkg/sftp for.
func (f *front) follow(t byte, body []byte) {
	r := &reader{b: body}
	id := r.u32()
	switch t {
	case fxpOpen:
		p := r.str()
		if r.err != nil {
			return
		}
		f.mu.Lock()
		if len(f.pending) < maxPending {
			f.pending[id] = f.local(p)
		}
		f.mu.Unlock()
	case fxpClose:
		h := r.str()
		f.mu.Lock()
		delete(f.handles, h)
		f.mu.Unlock()
	}
}

// relayServer copies pkg/sftp's answers to the client, adding the front's
// extensions to its version and noting the handles of opens.
func (f *front) relayServer(fromSrv io.Reader) error {
	var buf []byte
	for {
		raw, err := readRaw(fromSrv, buf)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading from the server: %w", err)
		}
		buf = raw
		switch t, body := raw[4], raw[5:]; t {
		case fxpVersion:
			raw = frame(t, withExtensions(body))
		case fxpHandle, fxpStatus:
			f.noteAnswer(t, body)
		}
		if err := f.write(raw); err != nil {
			return err
		}
	}
}

// withExtensions adds the front's extensions to a version packet's body.
func withExtensions(body []byte) []byte {
	p := &packet{b: append([]byte(nil), body...)}
	for _, e := range extensions {
		p.str(e.name).str(e.version)
	}
	return p.b
}

// noteAnswer records the handle an open got, or forgets a failed open.
func (f *front) noteAnswer(t byte, body []byte) {
	r := &reader{b: body}
	id := r.u32()
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pending[id]
	if !ok {
		return
	}
	delete(f.pending, id)
	if t == fxpHandle {
		if h := r.str(); r.err == nil {
			f.handles[h] = p
		}
	}
}

// pathOf returns the path the handle h was opened on.
func (f *front) pathOf(h string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.handles[h]
	return p, ok
}

// local resolves a client's path against the home directory, as pkg/sftp
// does.
func (f *front) local(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(f.opts.Home, p)
}

// statusOf is the status answer to id for err.
func statusOf(id uint32, err error) []byte {
	switch {
	case err == nil:
		return statusPacket(id, fxOK, "")
	case errors.Is(err, os.ErrNotExist):
		return statusPacket(id, fxNoSuchFile, err.Error())
	case errors.Is(err, os.ErrPermission):
		return statusPacket(id, fxPermissionDenied, err.Error())
	}
	return statusPacket(id, fxFailure, err.Error())
}

// RFCSymlinkClient reports whether the SSH client whose version string is
// version sends SSH_FXP_SYMLINK in the draft's order to a server that is
// not OpenSSH, as AsyncSSH and libssh (not libssh2) do; OpenSSH's own
// client, PuTTY, paramiko and most others always send OpenSSH's order.
func RFCSymlinkClient(version string) bool {
	return strings.Contains(version, "AsyncSSH") || strings.Contains(version, "libssh_")
}
