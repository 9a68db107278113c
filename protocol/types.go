package protocol

import "syscall"

// DefaultPath is the PATH of processes started in a guest when nothing else
// says, as Debian's root has it.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// SpawnRequest describes a process to start inside a guest, as root of the
// guest, in all of its namespaces.
type SpawnRequest struct {
	// Argv is the command and its arguments. With Login set and Argv empty, the
	// guest's root login shell is started instead (from the guest's /etc/passwd,
	// /bin/sh when it names none), with "-" before its name.
	Argv  []string `json:"argv,omitempty"`
	Login bool     `json:"login,omitempty"`
	// Command, when set and Argv is empty, runs through root's login shell
	// as "SHELL -c Command", as sshd runs a client's command through the
	// user's shell; SHELL in the environment names that shell.
	Command string `json:"command,omitempty"`
	// Env is the whole environment, as "KEY=value" strings.
	Env []string `json:"env,omitempty"`
	// Dir is the working directory; "" means root's home.
	Dir string `json:"dir,omitempty"`
	// Subsystem, when set, starts a subsystem of vmhost's own instead of Argv:
	// "sftp" serves SFTP on the process's stdin and stdout, inside the guest,
	// as its root.
	Subsystem string `json:"subsystem,omitempty"`
	// TTY, when set, gives the process a new terminal from the guest's own
	// devpts; when nil, stdin, stdout and stderr are pipes.
	TTY *TTY `json:"tty,omitempty"`
	// Keep, with a TTY, has the init keep a copy of the terminal, so that
	// the process outlives the daemon's connection (a daemon restart) and
	// can be handed over again (OpReattach).
	Keep bool `json:"keep,omitempty"`
	// KeepFor is how many seconds the init keeps a kept session that no
	// daemon connection holds (the daemon is gone) before it hangs it up;
	// 0 keeps it until a daemon does.
	KeepFor int64 `json:"keep_for,omitempty"`
}

// TTY is the terminal asked for by a client.
type TTY struct {
	Term string `json:"term,omitempty"`
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
	// Modes are the SSH terminal modes (RFC 4254 section 8 opcodes to values),
	// applied to the terminal before the process starts.
	Modes map[uint8]uint32 `json:"modes,omitempty"`
}

// ExitStatus is how a process ended: its exit code, or the signal that killed it.
type ExitStatus struct {
	Code       int            `json:"code"`
	Signal     syscall.Signal `json:"signal,omitempty"`
	CoreDumped bool           `json:"core,omitempty"`
}
