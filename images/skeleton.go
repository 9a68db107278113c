package images

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// entry is one file, directory or symlink of a skeleton rootfs.
type entry struct {
	path   string      // relative to the rootfs
	mode   os.FileMode // permissions, with os.ModeDir, os.ModeSymlink or neither
	target string      // for a symlink
	data   string      // for a file
}

// skeleton is the tree every busybox image starts from: the usual directories
// and a minimal /etc. The guest fills /etc/hostname and /etc/resolv.conf when
// it starts.
func skeleton(version string) []entry {
	d := func(path string, perm os.FileMode) entry { return entry{path: path, mode: os.ModeDir | perm} }
	f := func(path string, perm os.FileMode, data string) entry {
		return entry{path: path, mode: perm, data: data}
	}
	return []entry{
		d("bin", 0o755), d("sbin", 0o755), d("usr", 0o755), d("usr/bin", 0o755),
		d("usr/sbin", 0o755), d("usr/local", 0o755), d("usr/local/bin", 0o755),
		d("etc", 0o755), d("root", 0o700), d("home", 0o755), d("tmp", os.ModeSticky|0o777),
		d("var", 0o755), d("var/tmp", os.ModeSticky|0o777), d("var/log", 0o755),
		d("run", 0o755), {path: "var/run", mode: os.ModeSymlink, target: "../run"},
		d("proc", 0o555), d("sys", 0o555), d("dev", 0o755),
		d("mnt", 0o755), d("opt", 0o755), d("srv", 0o755),
		f("etc/passwd", 0o644, etcPasswd),
		f("etc/group", 0o644, etcGroup),
		f("etc/shadow", 0o600, etcShadow),
		f("etc/hostname", 0o644, "localhost\n"),
		f("etc/hosts", 0o644, etcHosts),
		f("etc/profile", 0o644, etcProfile),
		f("etc/resolv.conf", 0o644, "# written by vmhost when the guest starts\n"),
		f("etc/os-release", 0o644, osRelease(version)),
		f("etc/shells", 0o644, "/bin/sh\n/bin/ash\n"),
		f("usr/bin/nohup", 0o755, nohupScript),
	}
}

// nohupScript stands in for the nohup applet, which Debian's busybox-static
// lacks: people start services with nohup on a small VM. An applet of the
// same name, where there is one, is not linked over it.
const nohupScript = `#!/bin/sh
# nohup COMMAND [ARG]...: run COMMAND immune to hangups.
trap '' HUP
if [ -t 1 ]; then
	exec >>nohup.out 2>/dev/null || exec >>"$HOME/nohup.out"
	echo "nohup: appending output to nohup.out" >&2
fi
if [ -t 2 ]; then exec 2>&1; fi
if [ -t 0 ]; then exec </dev/null; fi
exec "$@"
`

const etcPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const etcGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
staff:x:50:
users:x:100:
nogroup:x:65534:
`

const etcShadow = `root:*::0:99999:7:::
daemon:*::0:99999:7:::
bin:*::0:99999:7:::
sys:*::0:99999:7:::
nobody:*::0:99999:7:::
`

const etcHosts = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
`

const etcProfile = `# /etc/profile: read by login shells.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PS1='\u@\h:\w\$ '
umask 022
`

// osRelease returns /etc/os-release for a busybox version banner such as
// "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)".
func osRelease(version string) string {
	id := ""
	if _, v, ok := strings.Cut(version, " v"); ok {
		id, _, _ = strings.Cut(v, " ")
	}
	return fmt.Sprintf("NAME=\"BusyBox\"\nID=busybox\nVERSION_ID=%q\nPRETTY_NAME=%q\nHOME_URL=\"https://busybox.net/\"\n",
		id, version)
}

// makeSkeleton creates the skeleton tree in rootfs.
func makeSkeleton(rootfs, version string) error {
	for _, e := range skeleton(version) {
		if err := e.create(rootfs); err != nil {
			return fmt.Errorf("creating /%s: %w", e.path, err)
		}
	}
	return nil
}

// create makes e inside rootfs, with its exact mode whatever the umask, owned
// by root.
func (e entry) create(rootfs string) error {
	p := filepath.Join(rootfs, e.path)
	switch {
	case e.mode&os.ModeSymlink != 0:
		return symlinkRoot(e.target, p)
	case e.mode.IsDir():
		if err := os.Mkdir(p, e.mode.Perm()); err != nil {
			return err
		}
		if err := os.Chmod(p, e.mode.Perm()|e.mode&os.ModeSticky); err != nil {
			return err
		}
	default:
		if err := writeFile(p, []byte(e.data), e.mode.Perm()); err != nil {
			return err
		}
	}
	return chownRoot(p)
}
