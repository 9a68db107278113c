package sshgate

import (
	"net"
	"net/netip"
	"strings"
	vmsession "vmhost/session"
)

// maxClientEnv bounds the "env" requests accepted on one session.
const maxClientEnv = 64

// acceptEnv reports whether a client may set the variable name: TERM, LANG
// and LC_*, like OpenSSH's default AcceptEnv. Everything else (LD_PRELOAD,
// PATH, ...) is refused.
func acceptEnv(name, value string) bool {
	if strings.ContainsAny(name, "=\x00") || strings.ContainsRune(value, 0) {
		return false
	}
	return name == "TERM" || name == "LANG" || strings.HasPrefix(name, "LC_") && len(name) > 3
}

// environ returns the process's environment: the session layer's base, SSH_CLIENT and
// SSH_CONNECTION (whose server end is server, the guest's address, when
// valid), SSH_AUTH_SOCK with agent forwarding, TERM (from pty-req, else from env) and the accepted env
// variables, the last value of a name winning. s.mu must be held.
func (s *session) environ(server netip.Addr) []string {
	env := vmsession.Env()
	env = append(env, sshAddrEnv(s.conn.sc.RemoteAddr(), s.conn.sc.LocalAddr(), server)...)
	switch {
	case s.agent != "" && s.keep && s.conn.srv.agents != nil:
		env = append(env, "SSH_AUTH_SOCK="+agentLink) // follows the newest connection
	case s.agent != "":
		env = append(env, "SSH_AUTH_SOCK="+s.agent)
	}
	if s.original != "" {
		env = append(env, "SSH_ORIGINAL_COMMAND="+s.original)
	}
	if s.tty != nil && s.tty.Term != "" {
		env = append(env, "TERM="+s.tty.Term)
	}
	for _, kv := range s.env {
		if strings.HasPrefix(kv, "TERM=") && s.tty != nil && s.tty.Term != "" {
			continue
		}
		env = vmsession.SetEnv(env, kv)
	}
	return env
}

// sshAddrEnv returns SSH_CLIENT and SSH_CONNECTION as OpenSSH sets them:
// "client_ip client_port server_port" and
// "client_ip client_port server_ip server_port". The server_ip is server,
// the guest's own address, when it is valid, as sshd inside a VM would
// show its own: programs that bind the address they were reached on
// (mosh-server -s) then bind one the guest has. Otherwise it is the
// address the client connected to.
func sshAddrEnv(remote, local net.Addr, server netip.Addr) []string {
	rhost, rport, err1 := net.SplitHostPort(remote.String())
	lhost, lport, err2 := net.SplitHostPort(local.String())
	if err1 != nil || err2 != nil {
		return nil
	}
	if server.IsValid() {
		lhost = server.String()
	}
	return []string{
		"SSH_CLIENT=" + rhost + " " + rport + " " + lport,
		"SSH_CONNECTION=" + rhost + " " + rport + " " + lhost + " " + lport,
	}
}

// printableASCII is s with every byte that is not printable ASCII dropped,
// for values the client chose that go into an environment.
func printableASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
