package sftpserve

import "os"

// symlink serves SSH_FXP_SYMLINK with the paths a and b: OpenSSH's clients
// send the target, then the link; the draft's order, which AsyncSSH and
// libssh send to servers that are not OpenSSH, is the link, then the
// target. The target is kept as given, relative or not, as sshd keeps it;
// only the link's own path is resolved.
func (f *front) symlink(id uint32, a, b string) []byte {
	target, link := a, b
	if f.opts.RFCSymlink {
		target, link = b, a
	}
	return statusOf(id, os.Symlink(target, f.local(link)))
}
