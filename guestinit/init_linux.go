package guestinit

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"time"
	"vmhost/protocol"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RunInit is the guest's PID 1. It sets up the guest's root, then serves the
// control socket until it is told to stop. It never returns.
func RunInit() {
	closeInherited()
	// Guest root must not ptrace its init or take its descriptors: see
	// harden.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	debug.SetGCPercent(50)
	os.WriteFile("/proc/self/comm", []byte(protocol.InitName), 0)
	unix.Umask(0o022)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sync, err := protocol.FileConn(protocol.InitSyncFD)
	if err != nil {
		log.Error("guest init: no sync socket", "err", err)
		os.Exit(1)
	}
	cfg, shell, err := setupInit(log, sync)
	protocol.SendMessage(sync, protocol.InitReady{Error: errString(err)})
	if err != nil {
		log.Error("guest init: setup", "err", err)
		os.Exit(1)
	}
	// The daemon gives the guest its CPU quota, then lets it go on by
	// closing its end: nothing of the guest's runs before.
	awaitGo(sync)
	sync.Close()
	log = log.With("guest", cfg.ID)
	// What the binary's package initializers and the setup allocated is
	// garbage now: give its pages back, so that an idle guest pins only
	// what its init keeps (a thousand inits hold each page a thousand
	// times).
	debug.FreeOSMemory()
	os.Exit(serveInit(log, cfg.StopGrace, shell))
}

// goTimeout bounds how long a ready init waits for the daemon's go.
const goTimeout = 30 * time.Second

// awaitGo waits until the daemon closes its end of the sync socket (or
// goTimeout passes, or the daemon is gone).
func awaitGo(sync *net.UnixConn) {
	sync.SetReadDeadline(time.Now().Add(goTimeout))
	var b [1]byte
	for {
		if _, err := sync.Read(b[:]); err != nil {
			return
		}
	}
}

// setupInit receives the configuration and root, and builds the guest's world.
// What is odd in the guest's files (a symlink, FIFO or huge file where
// vmhost writes) is left as it is or moved aside, with a log line; it never
// stops the guest from starting.
//
// It also returns root's login shell as /etc/passwd names it, "" if it
// names none that may be run.
func setupInit(log *slog.Logger, sync *net.UnixConn) (*protocol.InitConfig, string, error) {
	sync.SetReadDeadline(time.Now().Add(30 * time.Second))
	var cfg protocol.InitConfig
	fds, err := protocol.RecvMessage(sync, &cfg)
	if err != nil {
		return nil, "", err
	}
	if len(fds) != 1 {
		protocol.CloseAll(fds)
		return nil, "", fmt.Errorf("want the root mount with the config, got %d files", len(fds))
	}
	defer unix.Close(fds[0])
	view := cloneView(log, cfg.View)
	if err := setupRoot(log, fds[0], cfg.RootDir); err != nil {
		return nil, "", err
	}
	root := guestRoot{fd: fds[0], log: log, now: time.Now}
	initViews.attach(root, view)
	shell, err := setupIdentity(root, cfg.Hostname, cfg.Owner)
	if err != nil {
		return nil, "", err
	}
	recordBoot(log)
	if cfg.ResolvConf != "" {
		if err := root.replaceFile("/etc/resolv.conf", []byte(cfg.ResolvConf), 0o644); err != nil {
			log.Warn("guest init: /etc/resolv.conf left as it is", "err", err)
		}
	}
	if err := loopbackUp(); err != nil {
		return nil, "", err
	}
	return &cfg, shell, nil
}

// setupIdentity sets the guest's hostname and writes it to /etc/hostname and
// /etc/hosts, as a VM's installer would, and gives the owner's name root's
// home in /etc/passwd; a file it cannot write safely is left as it is, with
// a log line. It returns root's login shell, read on the way.
func setupIdentity(root guestRoot, hostname, owner string) (string, error) {
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return "", fmt.Errorf("setting hostname %q: %w", hostname, err)
	}
	shell := ""
	files := []struct {
		name   string
		change func([]byte) []byte
	}{
		{"/etc/hostname", func([]byte) []byte { return []byte(hostname + "\n") }},
		{"/etc/hosts", func(old []byte) []byte { return hostsWithName(old, hostname) }},
		{"/etc/passwd", func(old []byte) []byte {
			shell = shellFromPasswd(old, root.isExecutable)
			return passwdWithLogin(old, owner)
		}},
	}
	for _, f := range files {
		if err := root.updateFile(f.name, f.change); err != nil {
			root.log.Warn("guest init: "+f.name+" left as it is", "err", err)
		}
	}
	markContainer(root)
	return shell, nil
}

// markContainer writes /run/systemd/container, as systemd-nspawn and LXC do,
// so that systemd-detect-virt and tools that ask it know they run in a
// container; what is in the way of /run/systemd is moved aside. A failure is
// a log line: the guest starts.
// Equivalent to: mkdir -p /run/systemd && echo vmhost >/run/systemd/container
func markContainer(root guestRoot) {
	dir, err := root.mkdirAll("/run/systemd", 0o755, false)
	if err == nil {
		unix.Close(dir)
		err = root.replaceFile("/run/systemd/container", []byte(protocol.ContainerName+"\n"), 0o644)
	}
	if err != nil {
		root.log.Warn("guest init: /run/systemd/container not written", "err", err)
	}
}

// loopbackUp brings lo up in the guest's network namespace.
// Equivalent to: ip link set lo up
func loopbackUp() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	return nil
}

// serveInit reaps children, serves the control socket and stops the guest on
// SIGTERM, SIGINT, SIGHUP, SIGPWR, SIGUSR1 or SIGUSR2 (what halt, poweroff and
// reboot send to PID 1). It returns the exit code.
func serveInit(log *slog.Logger, grace time.Duration, shell string) int {
	ln, err := fileListener(protocol.InitControlFD)
	if err != nil {
		log.Error("guest init: no control socket", "err", err)
		return 1
	}
	// The daemon reads the init's log through a pipe it may close when it
	// restarts: a write then fails with EPIPE instead of killing the init.
	signal.Notify(make(chan os.Signal, 1), unix.SIGPIPE)
	sp, err := newSpawner(log)
	if err != nil {
		log.Error("guest init: no spawner", "err", err)
		return 1
	}
	if checkShell(shell) {
		sp.shell.Store(&shell)
	}
	// Asked to stop while the boot scripts start, the init stops in order.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGPWR, unix.SIGUSR1, unix.SIGUSR2)
	go sp.reap()
	go serveControl(ln, sp, log)
	go boot(sp, log)
	sig := <-stop
	log.Info("guest init: stopping", "signal", sig)
	stopAll(grace)
	return 0
}

// stopAll asks every process of the guest to end, and waits for them up to
// grace. What is left is killed by the kernel when PID 1 exits.
func stopAll(grace time.Duration) {
	unix.Kill(-1, unix.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !hasChildren() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hasChildren says whether PID 1 has any process left in its namespace:
// every process whose parent ended is PID 1's child, so the namespace is
// empty when PID 1 has no child. It asks the kernel, not the guest's /proc.
// Equivalent to: waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT) != ECHILD
func hasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != unix.ECHILD
}

// fileListener turns an inherited listening socket into a listener.
func fileListener(fd int) (*net.UnixListener, error) {
	f := os.NewFile(uintptr(fd), "control")
	defer f.Close()
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("using fd %d as a listener: %w", fd, err)
	}
	ul, ok := l.(*net.UnixListener)
	if !ok {
		l.Close()
		return nil, fmt.Errorf("fd %d is not a unix listener", fd)
	}
	return ul, nil
}

// closeInherited closes every descriptor past the ones an init is started with
// that is not close-on-exec: whatever the daemon itself inherited must not
// reach the guest.
func closeInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		unix.CloseRange(protocol.InitControlFD+1, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
		return
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= protocol.InitControlFD {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
