package guestinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"vmhost/inroot"
	"vmhost/protocol"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"vmhost/ttymodes"
)

// RunIncubator is a guest process on its way to become the command the
// daemon asked for, as Tailscale's incubator is: started by the init with
// the process's pipes (or nothing, for a terminal) and two pipes to the
// init, it reads the request, opens the terminal, finds the command in the
// guest's files, names the descriptors the init takes for the daemon, and
// executes the command; for a terminal, it records the login in the
// guest's utmp, wtmp and lastlog first. Started with the arguments of
// the logout role, it records a logout instead (runLogoutRecorder).
// Whatever the guest's files hold, the worst is this one process failing.
// It never returns.
func RunIncubator() {
	// Until it executes the command, guest processes must not take its
	// descriptors (the pipes to PID 1, the terminal's master): as PID 1,
	// it is not dumpable. The exec makes the command dumpable again.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if len(os.Args) > 1 && os.Args[1] == logoutRole {
		runLogoutRecorder(os.Args[2:])
	}
	p, err := openInitPipes(spawnTimeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", protocol.IncubatorName, err)
		os.Exit(127)
	}
	req, err := p.request()
	if err == nil && (req.Op != protocol.OpSpawn || req.Spawn == nil) {
		err = errors.New("the incubator got no process to start")
	}
	if err == nil {
		err = incubate(p, req.Spawn) // returns only if it failed
	}
	p.fail(err, 127)
}

// incubate prepares this process to become req and executes it. It returns
// only when that failed. The terminal comes first: until then, stdin,
// stdout and stderr are the pipes to the init, where nothing else may be
// written.
func incubate(p *initPipes, req *protocol.SpawnRequest) error {
	var fds []int
	env := req.Env
	tty := ""
	if req.TTY != nil {
		master, name, err := takeTerminal(req.TTY)
		if err != nil {
			return err
		}
		defer master.Close()
		fds = append(fds, int(master.Fd()))
		env = append(env, "SSH_TTY="+name) // as sshd sets it
		tty = name
	}
	argv, path, err := resolveCommand(req)
	if err != nil {
		return err
	}
	shell := ""
	if req.Login || req.Command != "" {
		shell = path
		env = setEnv(env, "SHELL", shell)
	}
	if err := os.Chdir(workDir(req.Dir)); err != nil {
		return fmt.Errorf("entering the working directory: %w", err)
	}
	if err := p.answer(helperReply{FDs: fds, Shell: shell}); err != nil {
		return err
	}
	if err := p.waitTaken(); err != nil {
		return err
	}
	if tty != "" && os.Getppid() == 1 { // started by a guest's init, not a test's spawner
		recordTerminalLogin(tty, req.Env) // best effort, as sshd's
	}
	err = syscall.Exec(path, argv, env)
	return fmt.Errorf("starting %s: %w", argv[0], err)
}

// resolveCommand returns argv and the file to execute: the login shell of
// root for a login, else argv[0] searched in the request's PATH.
func resolveCommand(req *protocol.SpawnRequest) ([]string, string, error) {
	if req.Subsystem != "" { // sftp is started directly (directCommand)
		return nil, "", fmt.Errorf("unknown subsystem %q", req.Subsystem)
	}
	if len(req.Argv) == 0 {
		switch {
		case req.Command != "":
			shell := rootShell()
			return shellArgv(shell, req.Command), shell, nil
		case !req.Login:
			return nil, "", errors.New("spawn request without a command")
		}
		shell := rootShell()
		return []string{"-" + filepath.Base(shell)}, shell, nil
	}
	path, err := lookPath(req.Argv[0], envValue(req.Env, "PATH"), isExecutable)
	if err != nil {
		return nil, "", err
	}
	return req.Argv, path, nil
}

// rootShell is root's shell from the guest's /etc/passwd, or /bin/sh when
// the file is missing, not a regular file or bigger than maxGuestFile, or
// names none: it is read inside the guest's root file system, without
// blocking.
func rootShell() string {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/bin/sh"
	}
	defer unix.Close(root)
	passwd, err := inroot.ReadFile(root, "/etc/passwd", inroot.SameFS, maxGuestFile)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) {
			fmt.Fprintf(os.Stderr, "vmhost: root's shell is /bin/sh: %v\n", err)
		}
		return "/bin/sh"
	}
	if shell := shellFromPasswd(passwd, isExecutable); shell != "" {
		return shell
	}
	return "/bin/sh"
}

// isExecutable says whether path is an executable regular file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// workDir is dir if it exists, else root's home, else /.
func workDir(dir string) string {
	for _, d := range []string{dir, "/root", "/"} {
		if fi, err := os.Stat(d); d != "" && err == nil && fi.IsDir() {
			return d
		}
	}
	return "/"
}

// takeTerminal opens a terminal of the guest's own devpts with the client's
// modes and size, and makes it this process's controlling terminal, stdin,
// stdout and stderr. It returns the master, for the daemon, and the
// terminal's name.
// Equivalent to: exec 0<>/dev/pts/N 1>&0 2>&0 (as a controlling terminal)
func takeTerminal(tty *protocol.TTY) (*os.File, string, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, "", fmt.Errorf("opening a terminal: %w", err)
	}
	defer slave.Close()
	fd := int(slave.Fd()) // blocking again, as a terminal is read
	err = ttymodes.Apply(fd, tty.Modes)
	if err == nil && tty.Rows > 0 && tty.Cols > 0 {
		err = ttymodes.SetSize(fd, tty.Rows, tty.Cols)
	}
	for target := 0; err == nil && target < 3; target++ {
		err = unix.Dup3(fd, target, 0)
	}
	if err == nil {
		err = unix.IoctlSetInt(0, unix.TIOCSCTTY, 0)
	}
	if err != nil {
		master.Close()
		return nil, "", fmt.Errorf("setting up the terminal: %w", err)
	}
	return master, slave.Name(), nil
}
