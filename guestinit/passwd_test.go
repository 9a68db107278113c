package guestinit

import "testing"

func TestPasswdWithLogin(t *testing.T) {
	const base = "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/bin:/usr/sbin/nologin\n"
	tests := []struct {
		name, old, login, want string
	}{
		{"added", base, "alice", base + "alice:x:0:0:vmhost login, root:/root:/bin/bash\n"},
		{"no final newline", "root:x:0:0::/root:/bin/sh", "alice", "root:x:0:0::/root:/bin/sh\nalice:x:0:0:vmhost login, root:/root:/bin/sh\n"},
		{"root's shell odd", "root:x:0:0::/root:sh\n", "bob", "root:x:0:0::/root:sh\nbob:x:0:0:vmhost login, root:/root:/bin/sh\n"},
		{"there already", base + "alice:x:1000:1000::/home/alice:/bin/sh\n", "alice", base + "alice:x:1000:1000::/home/alice:/bin/sh\n"},
		{"ours already", base + "alice:x:0:0:vmhost login, root:/root:/bin/bash\n", "alice", base + "alice:x:0:0:vmhost login, root:/root:/bin/bash\n"},
		{"root", base, "root", base},
		{"no owner", base, "", base},
		{"no file", "", "alice", ""},
	}
	for _, tt := range tests {
		if got := string(passwdWithLogin([]byte(tt.old), tt.login)); got != tt.want {
			t.Errorf("%s: passwdWithLogin = %q, want %q", tt.name, got, tt.want)
		}
	}
}
