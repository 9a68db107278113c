package images

import (
	"archive/tar"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr string
	}{
		{"./", ".", ""}, {".", ".", ""}, {"/", ".", ""},
		{"./usr/bin/", "usr/bin", ""}, {"usr//bin/./sh", "usr/bin/sh", ""},
		{"/etc/passwd", "etc/passwd", ""}, {"///etc", "etc", ""},
		{"..", "", `".." component`}, {"../x", "", `".." component`},
		{"a/../b", "", `".." component`}, {"a/../../x", "", `".." component`},
		{"", "", "empty or invalid"}, {"a\x00b", "", "empty or invalid"},
		{"..hidden/x", "..hidden/x", ""},
	}
	for _, tt := range tests {
		got, err := cleanName(tt.name)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("cleanName(%q) = %q, %v, want an error containing %q", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("cleanName(%q) = %q, %v, want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestCheckOwner(t *testing.T) {
	tests := []struct {
		uid, gid int
		ok       bool
	}{{0, 0, true}, {65535, 65535, true}, {65536, 0, false}, {0, 65536, false}, {-1, 0, false}, {1 << 31, 0, false}}
	for _, tt := range tests {
		if err := checkOwner(&tar.Header{Uid: tt.uid, Gid: tt.gid}); (err == nil) != tt.ok {
			t.Errorf("checkOwner(%d:%d) = %v, want ok=%v", tt.uid, tt.gid, err, tt.ok)
		}
	}
}

func TestKeptXattr(t *testing.T) {
	tests := map[string]bool{
		"user.mime_type": true, "security.capability": true, "system.posix_acl_access": true,
		"system.posix_acl_default": true, "security.selinux": false, "trusted.overlay.opaque": false,
		"security.ima": false, "trusted.x": false,
	}
	for name, want := range tests {
		if got := keptXattr(name); got != want {
			t.Errorf("keptXattr(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	tests := map[string]string{`/a\040b`: "/a b", `/plain`: "/plain", `/tab\011x\134`: "/tab\tx\\", `/short\04`: `/short\04`}
	for in, want := range tests {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
