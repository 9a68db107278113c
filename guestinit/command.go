package guestinit

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"vmhost/protocol"
)

// shellFromPasswd returns root's login shell from passwd, the content of a
// guest's /etc/passwd: the last field of the first line with uid 0 and
// seven fields whose shell isExecutable accepts; "" if no line does. Any
// content is fine: lines of any length, binary data, no newline at all.
func shellFromPasswd(passwd []byte, isExecutable func(string) bool) string {
	for line := range bytes.Lines(passwd) {
		fields := strings.Split(strings.TrimRight(string(line), "\r\n"), ":")
		if len(fields) == 7 && fields[2] == "0" && fields[6] != "" && isExecutable(fields[6]) {
			return fields[6]
		}
	}
	return ""
}

// lookPath finds name in path (protocol.DefaultPath when empty), unless it
// has a slash, as a shell would: the first entry where isExecutable accepts
// it.
func lookPath(name, path string, isExecutable func(string) bool) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty command name")
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	if path == "" {
		path = protocol.DefaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found", name)
}

// directCommand says whether req can be started without reading any of the
// guest's files, and with what: the SFTP subsystem (the init's own binary),
// a command given by its absolute path, or a shell command with root's
// shell known already (shell, "" if not), without a terminal or a login.
func directCommand(req *protocol.SpawnRequest, shell string) (path string, argv []string, ok bool) {
	switch {
	case req.Subsystem == "sftp":
		return "/proc/self/exe", []string{protocol.SFTPName}, true
	case req.Subsystem != "" || req.TTY != nil:
		return "", nil, false
	case len(req.Argv) == 0 && req.Command != "" && shell != "":
		return shell, shellArgv(shell, req.Command), true
	case len(req.Argv) == 0 || !strings.HasPrefix(req.Argv[0], "/"):
		return "", nil, false
	}
	return req.Argv[0], req.Argv, true
}

// shellArgv is the argv of command run by shell, as sshd gives it: the
// shell's name, -c and the command.
func shellArgv(shell, command string) []string {
	return []string{filepath.Base(shell), "-c", command}
}

// checkShell reports whether shell, as an incubator reported it, may be
// kept as root's shell: an absolute path of at most 255 printable bytes.
func checkShell(shell string) bool {
	if !strings.HasPrefix(shell, "/") || len(shell) > 255 {
		return false
	}
	for _, c := range []byte(shell) {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// setEnv returns env with key set to value, replacing what it held.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// workDirs are the working directories to try for a process, in order: the
// one asked for, root's home, and /.
func workDirs(dir string) []string {
	switch dir {
	case "/":
		return []string{"/"}
	case "", "/root":
		return []string{"/root", "/"}
	}
	return []string{dir, "/root", "/"}
}

// envValue returns the value of key in env, the last one if it is there
// more than once.
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}
