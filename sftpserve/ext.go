package sftpserve

import (
	"errors"
	"io"
	"os"
	"strings"
)

// Limits the front reports (limits@openssh.com): pkg/sftp's, which answers
// reads of at most 32 KiB.
const (
	limitPacket = maxPacket
	limitRead   = 32 * 1024
	limitWrite  = 32 * 1024
)

// extensionFunc answers the extended request id, whose fields follow in r.
type extensionFunc func(f *front, id uint32, r *reader) []byte

// extension returns the front's handler for the extension name.
func (f *front) extension(name string) (func(uint32, *reader) []byte, bool) {
	h, ok := extensionHandlers[name]
	if !ok {
		return nil, false
	}
	return func(id uint32, r *reader) []byte { return h(f, id, r) }, true
}

// extensionHandlers are the extensions of the front.
var extensionHandlers = map[string]extensionFunc{
	"fsync@openssh.com":              (*front).fsync,
	"copy-data":                      (*front).copyData,
	"limits@openssh.com":             (*front).limits,
	"expand-path@openssh.com":        (*front).expandPath,
	"home-directory":                 (*front).homeDirectory,
	"users-groups-by-id@openssh.com": (*front).usersGroupsByID,
}

// errBadHandle refuses a handle the front does not know.
var errBadHandle = errors.New("invalid handle")

// fsync serves fsync@openssh.com: the file of a handle is synced to disk.
// Any descriptor of a file syncs all its data.
func (f *front) fsync(id uint32, r *reader) []byte {
	h := r.str()
	if r.err != nil {
		return statusPacket(id, fxBadMessage, "malformed fsync request")
	}
	p, ok := f.pathOf(h)
	if !ok {
		return statusPacket(id, fxFailure, errBadHandle.Error())
	}
	file, err := os.Open(p)
	if err != nil {
		return statusOf(id, err)
	}
	defer file.Close()
	return statusOf(id, file.Sync())
}

// copyData serves copy-data: length bytes (0: to the end) of one handle's
// file from an offset are written into another's at an offset, on the
// server (sftp's cp).
func (f *front) copyData(id uint32, r *reader) []byte {
	from, fromOff, length := r.str(), r.u64(), r.u64()
	to, toOff := r.str(), r.u64()
	if r.err != nil || fromOff > 1<<62 || toOff > 1<<62 || length > 1<<62 {
		return statusPacket(id, fxBadMessage, "malformed copy-data request")
	}
	src, ok1 := f.pathOf(from)
	dst, ok2 := f.pathOf(to)
	if !ok1 || !ok2 {
		return statusPacket(id, fxFailure, errBadHandle.Error())
	}
	return statusOf(id, copyRange(src, int64(fromOff), int64(length), dst, int64(toOff)))
}

// copyRange copies length bytes (0: to the end) of src from off into dst
// at dstOff.
func copyRange(src string, off, length int64, dst string, dstOff int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if length == 0 {
		length = 1<<62 - off
	}
	_, err = io.Copy(io.NewOffsetWriter(out, dstOff), io.NewSectionReader(in, off, length))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// limits serves limits@openssh.com.
func (f *front) limits(id uint32, _ *reader) []byte {
	return newPacket(fxpExtendedReply).u32(id).u64(limitPacket).u64(limitRead).u64(limitWrite).u64(0).bytes()
}

// expandPath serves expand-path@openssh.com: ~ and ~USER at the start of a
// path are expanded (~ and ~LOGIN to the home directory), and a relative
// path is made absolute against it (sftp's cd ~).
func (f *front) expandPath(id uint32, r *reader) []byte {
	p := r.str()
	if r.err != nil {
		return statusPacket(id, fxBadMessage, "malformed expand-path request")
	}
	if strings.HasPrefix(p, "~") {
		user, rest, _ := strings.Cut(p[1:], "/")
		home, err := f.home(user)
		if err != nil {
			return statusOf(id, err)
		}
		p = home + "/" + rest
	}
	return namePacket(id, f.local(p))
}

// homeDirectory serves home-directory: the home directory of a user.
func (f *front) homeDirectory(id uint32, r *reader) []byte {
	user := r.str()
	if r.err != nil {
		return statusPacket(id, fxBadMessage, "malformed home-directory request")
	}
	home, err := f.home(user)
	if err != nil {
		return statusOf(id, err)
	}
	return namePacket(id, home)
}

// home returns the home directory of user: the served one for "", root
// and the login name, else the user's in the passwd file.
func (f *front) home(user string) (string, error) {
	if user == "" || user == "root" || user == f.opts.Login {
		return f.opts.Home, nil
	}
	a, err := readAccounts(f.passwdFile())
	if err != nil {
		return "", err
	}
	for _, e := range a {
		if e.name == user && e.home != "" {
			return e.home, nil
		}
	}
	return "", os.ErrNotExist
}

// usersGroupsByID serves users-groups-by-id@openssh.com: the names of the
// uids and gids asked for, "" for those without one (sftp's ls -l).
func (f *front) usersGroupsByID(id uint32, r *reader) []byte {
	uids, gids := r.str(), r.str()
	if r.err != nil || len(uids)%4 != 0 || len(gids)%4 != 0 {
		return statusPacket(id, fxBadMessage, "malformed users-groups-by-id request")
	}
	users, _ := readAccounts(f.passwdFile())
	groups, _ := readAccounts(f.groupFile())
	p := newPacket(fxpExtendedReply).u32(id)
	p.str(string(namesOf(users, uids)))
	p.str(string(namesOf(groups, gids)))
	return p.bytes()
}

// namesOf returns, as a packed list of strings, the name of each packed
// uint32 id in ids.
func namesOf(accounts []account, ids string) []byte {
	out := &packet{}
	ir := &reader{b: []byte(ids)}
	for len(ir.b) > 0 {
		n := ir.u32()
		name := ""
		for _, a := range accounts {
			if a.id == n {
				name = a.name
				break
			}
		}
		out.str(name)
	}
	return out.b
}

func (f *front) passwdFile() string { return orDefault(f.opts.PasswdFile, "/etc/passwd") }
func (f *front) groupFile() string  { return orDefault(f.opts.GroupFile, "/etc/group") }

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
