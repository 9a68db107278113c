package guest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// cloneFlags are the namespaces every guest's init gets.
const cloneFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNS |
	unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// readyTimeout bounds how long a new init may take to set its guest up.
const readyTimeout = 30 * time.Second

// startSpec is what starting one guest's init needs.
type startSpec struct {
	state  *State
	rootfs string // the image's root filesystem
	dir    string // the guest's directory: upper/, work/, init.log
	runDir string // <run_dir>/guests/<id>: control.sock, rootfs/
	exe    *SealedExe
	// attach, when set, plugs the init into the guest network before the
	// init runs any guest code.
	attach func(pid int) error
	// resolvConf, when set, is written to the guest's /etc/resolv.conf.
	resolvConf []byte
	trace      *tracer
	// cgroup, when set, starts the init inside the guest's cgroup.
	cgroup Cgroup
	// stopGrace is how long the daemon gives a stopping guest; the init
	// asks its processes to end within it.
	stopGrace time.Duration
	// log gets the init's own log lines.
	log *slog.Logger
	// view, when set, has the init bind the view server's files.
	view *protocol.View
	// creator, when not 0, is the id the root overlay is made as: the
	// guest's root, when dir is a volume mapped to its range.
	creator uint32
	// ready, when set, is called once the init reports ready and before
	// the init is let go on to boot the guest (it waits for the daemon's
	// end of the sync socket to close): the guest's CPU quota, which its
	// setup runs without. An error fails the start.
	ready func() error
}

// Paths inside a guest's directories.
const (
	controlSock = "control.sock"
	upperDir    = "upper"
	workSubdir  = "work"
)

// startInit starts the init of a guest and waits until it is ready. The init
// is known from then on by the pidfd the daemon opens on its child.
func startInit(spec startSpec) (*initProc, error) {
	if err := prepareDirs(spec); err != nil {
		return nil, err
	}
	ln, err := listenControl(filepath.Join(spec.runDir, controlSock))
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	ours, theirs, err := seqpacketPair()
	if err != nil {
		return nil, err
	}
	defer ours.Close()
	logr, logw, err := os.Pipe()
	if err != nil {
		theirs.Close()
		return nil, fmt.Errorf("making the init's log pipe: %w", err)
	}
	cmd := initCommand(spec, logw, theirs, ln)
	if spec.cgroup != nil {
		err = spec.cgroup.Start(cmd)
	} else {
		err = cmd.Start()
	}
	theirs.Close()
	logw.Close()
	if err != nil {
		logr.Close()
		return nil, fmt.Errorf("starting the init of guest %s: %w", spec.state.ID(), err)
	}
	go relayInitLog(logr, spec.log)
	pid := cmd.Process.Pid
	cmd.Process.Release()
	p, err := adoptChild(pid)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL) // our unreaped child: the pid is still its own
		return nil, err
	}
	if err := setUpInit(spec, p, ours); err != nil {
		p.kill()
		p.release()
		return nil, err
	}
	return p, nil
}

// setUpInit plugs the new init into the network and hands it its
// configuration and root, then waits for it to be ready.
func setUpInit(spec startSpec, p *initProc, ours *net.UnixConn) error {
	spec.trace.mark("clone")
	if spec.attach != nil {
		if err := spec.attach(p.hostPid); err != nil {
			return err
		}
	}
	spec.trace.mark("network")
	if err := handOver(spec, p.hostPid, ours); err != nil {
		return fmt.Errorf("setting up guest %s: %w", spec.state.ID(), err)
	}
	if spec.ready != nil {
		return spec.ready()
	}
	return nil
}

// initCommand is the command line of a guest's init: this binary, from its
// sealed copy, as PID 1 of new namespaces with the guest's id range.
func initCommand(spec startSpec, logw *os.File, sync *os.File, ln *os.File) *exec.Cmd {
	st := spec.state
	idmap := []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(st.IDBase), Size: int(st.IDSize)}}
	return &exec.Cmd{
		Path:       spec.exe.Path(),
		Args:       []string{protocol.InitName, st.ID()},
		Env:        []string{"GOMAXPROCS=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "container=" + protocol.ContainerName},
		Stdout:     logw,
		Stderr:     logw,
		ExtraFiles: []*os.File{sync, ln}, // protocol.InitSyncFD, protocol.InitControlFD
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:                 cloneFlags,
			UidMappings:                idmap,
			GidMappings:                idmap,
			GidMappingsEnableSetgroups: true,
			Credential:                 &syscall.Credential{Uid: 0, Gid: 0},
			Setsid:                     true,
		},
	}
}

// handOver gives the new init its configuration and root, and waits for it to
// be ready.
func handOver(spec startSpec, pid int, sync *net.UnixConn) error {
	userns, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		return fmt.Errorf("opening user namespace: %w", err)
	}
	defer userns.Close()
	root, err := rootMount(spec.rootfs, filepath.Join(spec.dir, upperDir), filepath.Join(spec.dir, workSubdir), userns, spec.creator)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	spec.trace.mark("root")
	cfg := protocol.InitConfig{ID: spec.state.ID(), Hostname: spec.state.Name, Owner: spec.state.Owner, RootDir: filepath.Join(spec.runDir, "rootfs"),
		ResolvConf: string(spec.resolvConf), StopGrace: initStopGrace(spec.stopGrace), View: spec.view}
	if err := protocol.SendMessage(sync, cfg, root); err != nil {
		return err
	}
	sync.SetReadDeadline(time.Now().Add(readyTimeout))
	var ready protocol.InitReady
	fds, err := protocol.RecvMessage(sync, &ready)
	protocol.CloseAll(fds)
	if err != nil {
		return fmt.Errorf("waiting for the init: %w (its log is in the daemon's)", err)
	}
	if ready.Error != "" {
		return errors.New(guestText(ready.Error))
	}
	spec.trace.mark("init")
	return nil
}

// prepareDirs makes the guest's directories: upper and work owned by the
// guest's root, the run directory with an empty mount point for the root.
func prepareDirs(spec startSpec) error {
	base := int(spec.state.IDBase)
	for _, d := range []string{upperDir, workSubdir} {
		p := filepath.Join(spec.dir, d)
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("making %s: %w", p, err)
		}
		if err := os.Lchown(p, base, base); err != nil {
			return fmt.Errorf("giving %s to the guest: %w", p, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(spec.runDir, "rootfs"), 0o755); err != nil {
		return fmt.Errorf("making run directory: %w", err)
	}
	return os.Chmod(spec.runDir, 0o711)
}

// listenControl makes the control socket, reachable by root on the host only,
// and returns it as a file for the init to inherit.
func listenControl(path string) (*os.File, error) {
	os.Remove(path)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("making control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	defer ln.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("protecting control socket: %w", err)
	}
	f, err := ln.File()
	if err != nil {
		return nil, fmt.Errorf("handing over control socket: %w", err)
	}
	return f, nil
}

// seqpacketPair returns a connected pair of SOCK_SEQPACKET sockets: ours as a
// connection, theirs as a file for a child.
func seqpacketPair() (*net.UnixConn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("making sync socket: %w", err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "sync")
	c, err := protocol.FileConn(fds[0])
	if err != nil {
		theirs.Close()
		return nil, nil, err
	}
	return c, theirs, nil
}
