package guestinit

import (
	"strings"
	"testing"
	"vmhost/protocol"

	"github.com/google/go-cmp/cmp"
)

// fakeExecutables says a path is executable if it is in the set.
func fakeExecutables(paths ...string) func(string) bool {
	set := map[string]bool{}
	for _, p := range paths {
		set[p] = true
	}
	return func(p string) bool { return set[p] }
}

func TestShellFromPasswd(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name   string
		passwd string
		want   string
	}{
		{"debian", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n", "/bin/bash"},
		{"first uid 0 wins", "toor:x:0:0::/root:/bin/zsh\nroot:x:0:0::/root:/bin/bash\n", "/bin/zsh"},
		{"missing shell skipped", "root:x:0:0::/root:/bin/fish\nalt:x:0:0::/root:/bin/bash\n", "/bin/bash"},
		{"no newline at end", "root:x:0:0::/root:/bin/bash", "/bin/bash"},
		{"crlf", "root:x:0:0::/root:/bin/bash\r\n", "/bin/bash"},
		{"empty", "", ""},
		{"not uid 0", "root:x:1:0::/root:/bin/bash\n", ""},
		{"too few fields", "root:x:0:0:/root:/bin/bash\n", ""},
		{"empty shell", "root:x:0:0::/root:\n", ""},
		{"one huge line", long, ""},
		{"huge line first", long + "\nroot:x:0:0::/root:/bin/bash\n", "/bin/bash"},
		{"binary", "\x00\xff:\x00:0:\n\n\n::::::\n", ""},
	}
	isExec := fakeExecutables("/bin/bash", "/bin/zsh")
	for _, tt := range tests {
		if got := shellFromPasswd([]byte(tt.passwd), isExec); got != tt.want {
			t.Errorf("%s: shellFromPasswd() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLookPath(t *testing.T) {
	isExec := fakeExecutables("/usr/bin/ls", "/bin/ls", "/opt/bin/tool")
	tests := []struct {
		name, path string
		want       string
		wantErr    string
	}{
		{"ls", "", "/usr/bin/ls", ""},
		{"ls", "/bin:/usr/bin", "/bin/ls", ""},
		{"tool", "/opt/bin", "/opt/bin/tool", ""},
		{"tool", "", "", "tool: command not found"},
		{"./x", "", "./x", ""},
		{"/nowhere/x", "", "/nowhere/x", ""},
		{"", "", "", "empty command name"},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.name, tt.path, isExec)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
			t.Errorf("lookPath(%q, %q) = %q, %v, want %q, %q", tt.name, tt.path, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestEnvValue(t *testing.T) {
	env := []string{"PATH=/a", "HOME=/root", "PATH=/b", "PATHX=/c"}
	for key, want := range map[string]string{"PATH": "/b", "HOME": "/root", "TERM": "", "PATHX": "/c"} {
		if got := envValue(env, key); got != want {
			t.Errorf("envValue(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestDirectCommand(t *testing.T) {
	tests := []struct {
		name     string
		req      protocol.SpawnRequest
		shell    string
		wantPath string
		wantOK   bool
	}{
		{"absolute path", protocol.SpawnRequest{Argv: []string{"/bin/sh", "-c", "true"}}, "", "/bin/sh", true},
		{"shell command, shell known", protocol.SpawnRequest{Command: "true"}, "/bin/bash", "/bin/bash", true},
		{"shell command, shell not known", protocol.SpawnRequest{Command: "true"}, "", "", false},
		{"shell command, terminal", protocol.SpawnRequest{Command: "true", TTY: &protocol.TTY{}}, "/bin/bash", "", false},
		{"sftp", protocol.SpawnRequest{Subsystem: "sftp"}, "", "/proc/self/exe", true},
		{"PATH lookup", protocol.SpawnRequest{Argv: []string{"ls"}}, "/bin/sh", "", false},
		{"relative", protocol.SpawnRequest{Argv: []string{"./x"}}, "", "", false},
		{"terminal", protocol.SpawnRequest{Argv: []string{"/bin/sh"}, TTY: &protocol.TTY{}}, "", "", false},
		{"login", protocol.SpawnRequest{Login: true}, "/bin/sh", "", false},
		{"other subsystem", protocol.SpawnRequest{Subsystem: "x", Argv: []string{"/bin/sh"}}, "", "", false},
		{"nothing", protocol.SpawnRequest{}, "/bin/sh", "", false},
	}
	for _, tt := range tests {
		path, _, ok := directCommand(&tt.req, tt.shell)
		if path != tt.wantPath || ok != tt.wantOK {
			t.Errorf("%s: directCommand() = %q, %v, want %q, %v", tt.name, path, ok, tt.wantPath, tt.wantOK)
		}
	}
}

func TestWorkDirs(t *testing.T) {
	for dir, want := range map[string][]string{
		"":      {"/root", "/"},
		"/":     {"/"},
		"/root": {"/root", "/"},
		"/srv":  {"/srv", "/root", "/"},
	} {
		if diff := cmp.Diff(want, workDirs(dir)); diff != "" {
			t.Errorf("workDirs(%q) mismatch (-want +got):\n%s", dir, diff)
		}
	}
}

func TestCheckShell(t *testing.T) {
	for shell, want := range map[string]bool{
		"/bin/bash": true, "/usr/bin/zsh": true, "bash": false, "": false,
		"/bin/sh\n": false, "/bin/my shell": false, "/" + strings.Repeat("x", 255): false,
	} {
		if got := checkShell(shell); got != want {
			t.Errorf("checkShell(%q) = %v, want %v", shell, got, want)
		}
	}
}

func TestSetEnv(t *testing.T) {
	got := setEnv([]string{"A=1", "SHELL=/bin/sh", "B=2", "SHELL=/x"}, "SHELL", "/bin/bash")
	if want := []string{"A=1", "B=2", "SHELL=/bin/bash"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("setEnv = %q, want %q", got, want)
	}
}
