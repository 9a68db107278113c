package protocol

import "time"

// InitName is the argv[0] under which vmhostd runs as a guest's init. The
// binary checks for it first thing and runs guestinit.RunInit.
const InitName = "vmhost-init"

// SFTPName is the argv[0] under which vmhostd serves SFTP inside a guest
// (guestinit.RunSFTP): the init starts its own binary so, for a "sftp"
// subsystem, in every namespace of the guest and as its root.
const SFTPName = "vmhost-sftp"

// Environment variables the daemon gives the SFTP role: the SSH client's
// version string (to tell which order of SSH_FXP_SYMLINK's paths the client
// means) and the name the user logged in with (which ~NAME expands to
// /root, as on a VM where that user is root).
const (
	SFTPClientVersionEnv = "VMHOST_SSH_CLIENT_VERSION"
	SFTPLoginEnv         = "VMHOST_LOGIN"
)

// IncubatorName is the argv[0] under which the init starts its own binary
// to become a process of the guest (guestinit.RunIncubator): the child
// reads the guest's files (root's login shell, PATH), opens its terminal and
// then executes the command, so that PID 1 itself touches nothing the
// guest's root controls.
const IncubatorName = "vmhost-incubator"

// NetHelperName is the argv[0] under which the init starts its own binary
// to dial or listen where the guest's files are involved: a unix socket's
// path, or a host name looked up in the guest's /etc/hosts
// (guestinit.RunNetHelper). It hands the socket to the init and exits.
const NetHelperName = "vmhost-nethelper"

// ContainerName is how a guest says it is a container, the way systemd
// reads it: container= in PID 1's environment and the content of
// /run/systemd/container (systemd-detect-virt -c then says
// "container-other", and tools that adapt to containers do).
const ContainerName = "vmhost"

// The descriptors a guest's init is started with, after stdin, stdout and stderr.
const (
	InitSyncFD    = 3 // SOCK_SEQPACKET to the daemon: config and root in, "ready" out
	InitControlFD = 4 // the listening control socket
)

// InitConfig is what the daemon tells a new init, with the guest's root
// filesystem attached as a detached mount.
type InitConfig struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	// Owner is the user the guest belongs to, who logs in to it as root:
	// the init gives that name root's home in /etc/passwd, as on a VM where
	// that user has root.
	Owner string `json:"owner,omitempty"`
	// RootDir is an empty directory, outside the guest, where the init mounts
	// the guest's root in its own mount namespace before pivoting into it.
	RootDir string `json:"root_dir"`
	// StopGrace is how long the init gives the guest's processes to end when
	// it is told to stop.
	StopGrace time.Duration `json:"stop_grace"`
	// ResolvConf, when set, replaces the guest's /etc/resolv.conf.
	ResolvConf string `json:"resolv_conf,omitempty"`
	// View, when set, has the init bind the view server's files over the
	// guest's /proc and /sys files (see ViewFiles).
	View *View `json:"view,omitempty"`
}

// InitReady is the init's answer once the guest is set up, or why it is not.
type InitReady struct {
	Error string `json:"error,omitempty"`
}
