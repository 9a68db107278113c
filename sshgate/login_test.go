package sshgate

import "testing"

func TestParseLogin(t *testing.T) {
	tests := []struct {
		login        string
		owner, guest string
		wantErr      bool
	}{
		{login: "alice", owner: "alice", guest: "alice"},
		{login: "alice+web", owner: "alice", guest: "web"},
		{login: "a1-b_c+0box-2", owner: "a1-b_c", guest: "0box-2"},
		{login: "_svc+db", owner: "_svc", guest: "db"},
		{login: "x2345678901234567890123456789012", owner: "x2345678901234567890123456789012", guest: "x2345678901234567890123456789012"},
		{login: "", wantErr: true},
		{login: "Alice", wantErr: true},
		{login: "alice+Web", wantErr: true},
		{login: "alice+", wantErr: true},
		{login: "+web", wantErr: true},
		{login: "alice+web+x", wantErr: true},
		{login: "alice+we_b", wantErr: true},
		{login: "alice+-web", wantErr: true},
		{login: "1alice", wantErr: true},
		{login: "_svc", wantErr: true}, // "_svc" is no host name: name a guest
		{login: "al ice", wantErr: true},
		{login: "alice@host", wantErr: true},
		{login: "alice/../x", wantErr: true},
		{login: "x23456789012345678901234567890123", wantErr: true}, // 33 characters
		{login: "alice+x23456789012345678901234567890123", wantErr: true},
	}
	for _, tt := range tests {
		owner, guest, err := ParseLogin(tt.login)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseLogin(%q) = %q, %q, nil, want an error", tt.login, owner, guest)
			}
			continue
		}
		if err != nil || owner != tt.owner || guest != tt.guest {
			t.Errorf("ParseLogin(%q) = %q, %q, %v, want %q, %q, nil", tt.login, owner, guest, err, tt.owner, tt.guest)
		}
	}
}
