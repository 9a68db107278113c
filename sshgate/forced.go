package sshgate

import "errors"

// internalSFTP as a forced command serves the sftp subsystem and nothing
// else, as with sshd.
const internalSFTP = "internal-sftp"

// errSFTPOnly refuses a shell or command under command="internal-sftp".
var errSFTPOnly = errors.New("this service allows sftp connections only")

// setKind changes the kind of the session's process.
func (s *session) setKind(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kind = kind
}

// setCommand makes the session's process the shell command command, run
// with root's login shell in the guest.
func (s *session) setCommand(command string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.command = command
}

// beginForced starts the key's forced command (authorized_keys command=,
// or a certificate's force-command) instead of what the client asked for,
// original ("" for a shell), which the command finds in
// SSH_ORIGINAL_COMMAND, as sshd does. A terminal, if asked for, is kept.
func (s *session) beginForced(original string) func() {
	fc := s.conn.grant.Command
	if fc == internalSFTP {
		s.conn.refused("session", "kind", s.kind, "outcome", "refused", "reason", "the key allows sftp only (command=internal-sftp)")
		return func() { s.fail(errSFTPOnly) }
	}
	s.mu.Lock()
	s.original = original
	s.mu.Unlock()
	s.setCommand(fc)
	return s.begin(nil, false, fc)
}
