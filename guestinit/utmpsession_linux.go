package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// How a terminal session's login and logout reach the guest's utmp, wtmp
// and lastlog, as sshd records them: the incubator, about to become the
// session's process, records the login (recordTerminalLogin); when that
// process has ended, the init starts an incubator in the logout role
// (logoutAfter), which records the logout. Both write with the guest
// root's credentials, never the init itself.

// logoutRole is the argument that makes an incubator record a logout:
// vmhost-incubator logout LINE PID.
const logoutRole = "logout"

// logoutTimeout bounds the init's wait for a logout to be recorded: three
// files locked in turn, and the start of a helper.
const logoutTimeout = 3*utmpLockTimeout + 2*time.Second

// loginUser is the ut_user of every session: root, the account every login
// has in its guest, as sshd on a VM records a login as root.
const loginUser = "root"

// terminalLineRE is what a session's ut_line can be: a terminal of the
// guest's devpts.
var terminalLineRE = regexp.MustCompile(`^pts/[0-9]{1,9}$`)

// recordTerminalLogin records the login of this process (which is about to
// execute the session's command, keeping its pid) on the terminal at
// ttyPath, from the client of env's SSH_CONNECTION. It is best effort, as
// sshd's: a guest without the files, or with other things in their place,
// gets no record.
func recordTerminalLogin(ttyPath string, env []string) error {
	f, err := openLoginFiles("/")
	if err != nil {
		return err
	}
	defer f.close()
	host, addr := clientHost(env)
	line := terminalLine(ttyPath)
	return f.recordLogin(loginRecord{
		Type: utUserProcess, PID: int32(os.Getpid()), Line: line, ID: terminalID(line),
		User: loginUser, Host: host, Addr: addr, Time: time.Now(),
	})
}

// runLogoutRecorder is an incubator in the logout role, started by the init
// with args (LINE PID): it records the logout and answers the init whether
// that worked. It never returns.
func runLogoutRecorder(args []string) {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	p, err := openInitPipes(logoutTimeout)
	if err != nil {
		os.Exit(127)
	}
	line, pid, err := parseLogoutArgs(args)
	if err == nil {
		var f *loginFiles
		if f, err = openLoginFiles("/"); err == nil {
			err = f.recordLogout(line, int32(pid), time.Now())
			f.close()
		}
	}
	if err != nil {
		p.fail(err, 1)
	}
	p.answer(helperReply{})
	os.Exit(0)
}

// parseLogoutArgs checks the arguments of the logout role.
func parseLogoutArgs(args []string) (string, int, error) {
	if len(args) != 2 || !terminalLineRE.MatchString(args[0]) {
		return "", 0, fmt.Errorf("bad logout arguments %q", args)
	}
	pid, err := strconv.Atoi(args[1])
	if err != nil || pid <= 0 {
		return "", 0, fmt.Errorf("bad logout pid %q", args[1])
	}
	return args[0], pid, nil
}

// logoutAfter returns the exit channel of the terminal session pid whose
// terminal's master is master: it receives exit's status once the logout
// is recorded, so that whoever sees the session end sees it in wtmp.
func (s *spawner) logoutAfter(exit <-chan protocol.ExitStatus, pid, master int) chan protocol.ExitStatus {
	out := make(chan protocol.ExitStatus, 1)
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		s.log.Warn("guest init: finding a session's terminal", "pid", pid, "err", err)
		go func() { out <- <-exit }()
		return out
	}
	line := "pts/" + strconv.FormatUint(uint64(n), 10)
	go func() {
		st := <-exit
		if err := s.recordLogout(line, pid); err != nil {
			s.log.Info("guest init: recording a logout", "line", line, "pid", pid, "err", err)
		}
		out <- st
	}()
	return out
}

// recordLogout has an incubator in the logout role record the end of
// session pid on line, waiting logoutTimeout at most.
// Equivalent to: vmhost-incubator logout LINE PID
func (s *spawner) recordLogout(line string, pid int) (err error) {
	defer handlePanic(s.log, "recording a logout", func(e error) { err = e })
	h, err := s.startHelper(protocol.IncubatorName, nil, logoutRole, line, strconv.Itoa(pid))
	if err != nil {
		return err
	}
	defer h.close()
	h.in.Close()
	h.out.SetReadDeadline(time.Now().Add(logoutTimeout))
	var rep helperReply
	if err := h.dec.Decode(&rep); err != nil {
		h.kill()
		return helperError(err, logoutTimeout)
	}
	if rep.Error != "" {
		return errors.New(rep.Error)
	}
	return nil
}

// recordBoot records the guest's start in its utmp and wtmp, where it has
// them (see loginFiles.recordBoot); what fails is logged and skipped.
func recordBoot(log *slog.Logger) {
	f, err := openLoginFiles("/")
	if err == nil {
		err = f.recordBoot(time.Now())
		f.close()
	}
	if err != nil && !errors.Is(err, errNoLayout) {
		log.Warn("guest init: recording the start in utmp and wtmp", "err", err)
	}
}
