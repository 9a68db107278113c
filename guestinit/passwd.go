package guestinit

import (
	"bytes"
	"strings"
)

// passwdWithLogin returns an /etc/passwd in which the user name login, the
// guest's owner, who logs in as root, is an alias of root: uid 0 with
// root's home and shell, after every other line, so that ~login is /root
// (Ansible's remote paths, `cd ~alice`) while root keeps its name. A file
// that names login already (the guest's root made such an account), an
// empty or missing one, and the names "" and root, leave it as it is.
func passwdWithLogin(old []byte, login string) []byte {
	if login == "" || login == "root" || len(old) == 0 {
		return old
	}
	shell := "/bin/sh"
	for _, line := range strings.Split(string(old), "\n") {
		fields := strings.Split(line, ":")
		if fields[0] == login {
			return old
		}
		if fields[0] == "root" && len(fields) >= 7 && strings.HasPrefix(fields[6], "/") {
			shell = fields[6]
		}
	}
	out := bytes.Clone(old)
	if out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, login+":x:0:0:vmhost login, root:/root:"+shell+"\n"...)
}
