package guestinit

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"time"
)

// Types of login records (ut_type of glibc's bits/utmp.h) that vmhost uses
// or matches.
const (
	utBootTime     = 2
	utInitProcess  = 5
	utLoginProcess = 6
	utUserProcess  = 7
	utDeadProcess  = 8
)

// Sizes of the text fields of struct utmp and struct lastlog.
const (
	utLineSize = 32
	utIDSize   = 4
	utNameSize = 32
	utHostSize = 256
)

// loginRecord is one struct utmp: what sshd writes to utmp and wtmp at a
// login (USER_PROCESS, with user and host) and at a logout (DEAD_PROCESS,
// with both blank).
type loginRecord struct {
	Type int16
	PID  int32
	Line string // the terminal without /dev/, such as pts/0
	ID   string // the last 4 bytes of Line, as sshd makes it
	User string
	Host string
	Addr netip.Addr // the client's address, if Host is one
	Time time.Time
}

// utmpLayout is where glibc puts the fields of struct utmp and struct
// lastlog on one architecture: ut_session and ut_tv (and ll_time) are 32-bit
// where glibc sets __WORDSIZE_TIME64_COMPAT32 (x86-64: 384-byte records),
// 64-bit where it does not (AArch64: 400-byte records). Every field before
// ut_session is at the same place on both.
type utmpLayout struct {
	size      int // sizeof(struct utmp)
	session   int // offset of ut_session, then ut_tv.tv_sec, tv_usec and ut_addr_v6
	tvSec     int
	tvUsec    int
	addr      int
	wide      bool // ut_session, ut_tv and ll_time are 64-bit
	lastlog   int  // sizeof(struct lastlog)
	llLine    int  // offset of ll_line; ll_host follows it
	llTimeLen int
}

// The offsets of the fields of struct utmp before ut_session.
const (
	utOffType = 0
	utOffPID  = 4
	utOffLine = 8
	utOffID   = utOffLine + utLineSize
	utOffUser = utOffID + utIDSize
	utOffHost = utOffUser + utNameSize
)

// utmpLayouts are the layouts of the architectures vmhost knows, by GOARCH.
// Elsewhere logins are not recorded rather than recorded wrong.
var utmpLayouts = map[string]utmpLayout{
	"amd64": {size: 384, session: 336, tvSec: 340, tvUsec: 344, addr: 348, lastlog: 292, llLine: 4, llTimeLen: 4},
	"arm64": {size: 400, session: 336, tvSec: 344, tvUsec: 352, addr: 360, wide: true, lastlog: 296, llLine: 8, llTimeLen: 8},
}

// encode returns r as struct utmp. Text longer than its field is cut, and
// a field it fills is not NUL-terminated, as glibc and sshd leave it.
func (l utmpLayout) encode(r loginRecord) []byte {
	b := make([]byte, l.size)
	le := binary.LittleEndian
	le.PutUint16(b[utOffType:], uint16(r.Type))
	le.PutUint32(b[utOffPID:], uint32(r.PID))
	copy(b[utOffLine:utOffLine+utLineSize], r.Line)
	copy(b[utOffID:utOffID+utIDSize], r.ID)
	copy(b[utOffUser:utOffUser+utNameSize], r.User)
	copy(b[utOffHost:utOffHost+utHostSize], r.Host)
	sec, usec := r.Time.Unix(), int64(r.Time.Nanosecond()/1000)
	if l.wide {
		le.PutUint64(b[l.tvSec:], uint64(sec))
		le.PutUint64(b[l.tvUsec:], uint64(usec))
	} else {
		le.PutUint32(b[l.tvSec:], uint32(int32(sec)))
		le.PutUint32(b[l.tvUsec:], uint32(usec))
	}
	putAddr(b[l.addr:l.addr+16], r.Addr)
	return b
}

// putAddr writes a into ut_addr_v6 as sshd does: an IPv4 address (or an
// IPv4-mapped IPv6 one) in its first 4 bytes, an IPv6 address in all 16.
func putAddr(b []byte, a netip.Addr) {
	switch {
	case !a.IsValid():
	case a.Unmap().Is4():
		v4 := a.Unmap().As4()
		copy(b, v4[:])
	default:
		v6 := a.As16()
		copy(b, v6[:])
	}
}

// decode reads the fields of struct utmp that finding a slot needs: type,
// pid, line, id, user and host.
func (l utmpLayout) decode(b []byte) loginRecord {
	le := binary.LittleEndian
	return loginRecord{
		Type: int16(le.Uint16(b[utOffType:])),
		PID:  int32(le.Uint32(b[utOffPID:])),
		Line: cString(b[utOffLine : utOffLine+utLineSize]),
		ID:   cString(b[utOffID : utOffID+utIDSize]),
		User: cString(b[utOffUser : utOffUser+utNameSize]),
		Host: cString(b[utOffHost : utOffHost+utHostSize]),
	}
}

// cString is b up to its first NUL, or all of b.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// encodeLastlog returns the struct lastlog of a login at t on line from
// host.
func (l utmpLayout) encodeLastlog(t time.Time, line, host string) []byte {
	b := make([]byte, l.lastlog)
	if l.llTimeLen == 8 {
		binary.LittleEndian.PutUint64(b, uint64(t.Unix()))
	} else {
		binary.LittleEndian.PutUint32(b, uint32(int32(t.Unix())))
	}
	copy(b[l.llLine:l.llLine+utLineSize], line)
	copy(b[l.llLine+utLineSize:l.llLine+utLineSize+utHostSize], host)
	return b
}

// utmpSlot returns the index of the record of data that pututline(3)
// replaces with one of id and line: the first login record (INIT, LOGIN,
// USER or DEAD_PROCESS) of the same ut_id, or of the same ut_line where
// either has no ut_id; -1 if none, to append.
func (l utmpLayout) utmpSlot(data []byte, id, line string) int {
	for i := 0; (i+1)*l.size <= len(data); i++ {
		r := l.decode(data[i*l.size : (i+1)*l.size])
		if r.Type < utInitProcess || r.Type > utDeadProcess {
			continue
		}
		if r.ID != "" && id != "" && r.ID == id || (r.ID == "" || id == "") && r.Line == line {
			return i
		}
	}
	return -1
}

// terminalLine is the ut_line of the terminal at path: path without
// /dev/, as sshd and login(3) record it.
func terminalLine(path string) string {
	return strings.TrimPrefix(path, "/dev/")
}

// terminalID is the ut_id sshd gives line: its last 4 bytes ("ts/0" for
// pts/0).
func terminalID(line string) string {
	if len(line) > utIDSize {
		return line[len(line)-utIDSize:]
	}
	return line
}

// clientHost returns the client's address from an sshd environment
// (SSH_CONNECTION, else SSH_CLIENT), as text and parsed; "" when the
// session has no SSH client (an admin exec).
func clientHost(env []string) (string, netip.Addr) {
	for _, key := range []string{"SSH_CONNECTION", "SSH_CLIENT"} {
		if f := strings.Fields(envValue(env, key)); len(f) > 0 {
			a, err := netip.ParseAddr(f[0])
			if err != nil {
				continue
			}
			a = a.WithZone("")
			return a.Unmap().String(), a
		}
	}
	return "", netip.Addr{}
}
