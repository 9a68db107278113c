package e2e

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Paths of the clients other than OpenSSH's, each from a Debian package.
const (
	plinkPath           = "/usr/bin/plink"
	pscpPath            = "/usr/bin/pscp"
	psftpPath           = "/usr/bin/psftp"
	puttygenPath        = "/usr/bin/puttygen"
	dbclientPath        = "/usr/bin/dbclient"
	dropbearconvertPath = "/usr/bin/dropbearconvert"
	sshfsPath           = "/usr/bin/sshfs"
	fusermountPath      = "/usr/bin/fusermount3"
	rclonePath          = "/usr/bin/rclone"
	lftpPath            = "/usr/bin/lftp"
	curlPath            = "/usr/bin/curl"
	gccPath             = "/usr/bin/gcc"
)

// TestToolboxClients checks the clients people use besides OpenSSH's,
// against a busybox guest whose SFTP is vmhost's own: PuTTY (plink, pscp,
// psftp), Dropbear's dbclient, sshfs, rclone, lftp, curl's sftp:// and a
// program against libssh. Each trusts the daemon's host key as the user
// would tell it, without a prompt, and its results are checked from the
// guest's side.
func TestToolboxClients(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "")
	key := d.keyOf(t, "alice")
	d.mustSSH(t, "alice", "true") // the guest is up before the clients' timeouts run

	t.Run("PuTTY", func(t *testing.T) {
		requireClient(t, "putty-tools", plinkPath, pscpPath, psftpPath, puttygenPath)
		dir := t.TempDir()
		ppk := filepath.Join(dir, "alice.ppk")
		mustRun(t, "", puttygenPath, key, "-O", "private", "-o", ppk)
		args := []string{"-batch", "-P", d.port(), "-i", ppk}
		for _, fp := range hostKeyFingerprints(t) {
			args = append(args, "-hostkey", fp)
		}
		plink := append([]string{"-ssh"}, args...)
		res := runTool(t, nil, "from plink\n", plinkPath, append(plink, "alice@127.0.0.1", "cat > /root/plink.txt; echo $SSH_CONNECTION; exit 3")...)
		if res.code != 3 || !strings.Contains(res.stdout, " "+d.port()+"\n") {
			t.Errorf("plink alice 'cat; echo $SSH_CONNECTION; exit 3': exit %d, stdout %q, stderr %q; want 3 and the connection", res.code, res.stdout, res.stderr)
		}
		if got := d.mustSSH(t, "alice", "cat /root/plink.txt"); got != "from plink\n" {
			t.Errorf("plink's stdin in the guest: %q, want %q", got, "from plink\n")
		}
		out, code := runOnPTY(t, nil, plinkPath, append(plink, "-t", "alice@127.0.0.1", "tty; echo $TERM; exit 2")...)
		if code != 2 || !strings.HasPrefix(out, "/dev/pts/") || !strings.Contains(out, "\nxterm\r\n") {
			t.Errorf("plink -t alice 'tty; echo $TERM; exit 2' at a terminal: exit %d, output %q; want 2, a pty and TERM passed", code, out)
		}

		local := filepath.Join(dir, "pscp")
		sum := writeRandomFile(t, local, 3<<20+5)
		mustRun(t, "", pscpPath, append(args, local, "alice@127.0.0.1:/root/pscp")...)
		mustRun(t, "", pscpPath, append(args, "alice@127.0.0.1:/root/pscp", local+".back")...)
		if got := d.guestSHA256(t, "alice", "/root/pscp"); got != sum {
			t.Errorf("pscp to the guest: sha256 %s, want %s", got, sum)
		}
		if got := fileSHA256(t, local+".back"); got != sum {
			t.Errorf("pscp from the guest: sha256 %s, want %s", got, sum)
		}

		batch := filepath.Join(dir, "batch")
		script := fmt.Sprintf("mkdir ps\ncd ps\nput %s up\nren up moved\nchmod 600 moved\nls\nget moved %s.psftp\npwd\n", local, local)
		if err := os.WriteFile(batch, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		res = mustRun(t, "", psftpPath, append(args, "-b", batch, "alice@127.0.0.1")...)
		if !strings.Contains(res.stdout, "moved") || !strings.Contains(res.stdout, "Remote directory is /root/ps") {
			t.Errorf("psftp mkdir, cd, put, ren, ls, pwd: stdout %q, want moved listed in /root/ps", res.stdout)
		}
		if got := d.mustSSH(t, "alice", "stat -c %a /root/ps/moved; sha256sum /root/ps/moved"); got != "600\n"+sum+"  /root/ps/moved\n" {
			t.Errorf("after psftp: %q, want mode 600 and the content put", got)
		}
		if got := fileSHA256(t, local+".psftp"); got != sum {
			t.Errorf("psftp get: sha256 %s, want %s", got, sum)
		}
	})

	t.Run("Dropbear", func(t *testing.T) {
		requireClient(t, "dropbear-bin", dbclientPath, dropbearconvertPath)
		env, home := homeEnv(t)
		dbKey := filepath.Join(t.TempDir(), "alice.db")
		mustRun(t, "", dropbearconvertPath, "openssh", "dropbear", key, dbKey)
		if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		// dbclient looks hosts up by name alone, without the port.
		writeKnownHosts(t, filepath.Join(home, ".ssh"), "127.0.0.1")
		args := []string{"-i", dbKey, "-p", d.port(), "alice@127.0.0.1"}
		res := runTool(t, env, "from dbclient\n", dbclientPath, append(args, "cat > /root/db.txt; echo $SSH_CONNECTION; exit 4")...)
		if res.code != 4 || !strings.Contains(res.stdout, " "+d.port()+"\n") {
			t.Errorf("dbclient alice 'cat; echo $SSH_CONNECTION; exit 4': exit %d, stdout %q, stderr %q; want 4 and the connection", res.code, res.stdout, res.stderr)
		}
		if got := d.mustSSH(t, "alice", "cat /root/db.txt"); got != "from dbclient\n" {
			t.Errorf("dbclient's stdin in the guest: %q, want %q", got, "from dbclient\n")
		}
		out, code := runOnPTY(t, env, dbclientPath, append([]string{"-t"}, append(args, "tty; echo $TERM; exit 2")...)...)
		if code != 2 || !strings.HasPrefix(out, "/dev/pts/") || !strings.Contains(out, "\nxterm\r\n") {
			t.Errorf("dbclient -t alice 'tty; echo $TERM; exit 2' at a terminal: exit %d, output %q; want 2, a pty and TERM passed", code, out)
		}
	})

	t.Run("SSHFS", func(t *testing.T) {
		requireClient(t, "sshfs", sshfsPath, fusermountPath)
		if _, err := os.Stat("/dev/fuse"); err != nil {
			t.Skipf("sshfs needs /dev/fuse: %v", err)
		}
		d.mustSSH(t, "alice", "mkdir -p /root/fs && echo hard > /root/fs/hard.txt")
		mnt := filepath.Join(t.TempDir(), "mnt")
		if err := os.Mkdir(mnt, 0o700); err != nil {
			t.Fatal(err)
		}
		kh := d.knownHosts(t, t.TempDir())
		// In the foreground, so that sshfs is this test's process, ended by
		// its pid after the unmount.
		fs := startBackground(t, nil, sshfsPath, "-f", "-p", d.port(), "-F", "/dev/null",
			"-o", "IdentityFile="+key+",IdentitiesOnly=yes,BatchMode=yes,StrictHostKeyChecking=yes,UserKnownHostsFile="+kh,
			"alice@127.0.0.1:/root/fs", mnt)
		t.Cleanup(func() { unmountFUSE(t, mnt) })
		waitFor(t, sshTimeout, "the sshfs mount", func() bool {
			select {
			case <-fs.exited:
				t.Fatalf("sshfs exited before mounting: %s", fs.stderr.String())
			default:
			}
			return isMountPoint(t, mnt)
		})

		// The case: a relative link made on the mount keeps its
		// target as given, and reads back through the mount.
		link := filepath.Join(mnt, "x")
		if err := os.Symlink("hard.txt", link); err != nil {
			t.Fatalf("ln -s hard.txt x on the sshfs mount: %v", err)
		}
		if got, err := os.Readlink(link); err != nil || got != "hard.txt" {
			t.Errorf("readlink x on the mount: %q, %v; want hard.txt", got, err)
		}
		if got, err := os.ReadFile(link); err != nil || string(got) != "hard\n" {
			t.Errorf("cat x on the mount: %q, %v; want hard.txt's content", got, err)
		}
		if got := d.mustSSH(t, "alice", "readlink /root/fs/x"); got != "hard.txt\n" {
			t.Errorf("readlink x in the guest: %q, want hard.txt", got)
		}

		local := filepath.Join(t.TempDir(), "big")
		sum := writeRandomFile(t, local, 2<<20+9)
		data, err := os.ReadFile(local)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mnt, "big"), data, 0o640); err != nil {
			t.Fatalf("writing a file on the mount: %v", err)
		}
		if err := os.Rename(filepath.Join(mnt, "big"), filepath.Join(mnt, "big2")); err != nil {
			t.Fatalf("renaming on the mount: %v", err)
		}
		if got := d.guestSHA256(t, "alice", "/root/fs/big2"); got != sum {
			t.Errorf("a file written on the sshfs mount, in the guest: sha256 %s, want %s", got, sum)
		}
		if got := fileSHA256(t, filepath.Join(mnt, "big2")); got != sum {
			t.Errorf("reading it back through the mount: sha256 %s, want %s", got, sum)
		}
		if err := os.Chmod(filepath.Join(mnt, "big2"), 0o600); err != nil {
			t.Errorf("chmod on the mount: %v", err)
		}
		if got := d.mustSSH(t, "alice", "stat -c %a /root/fs/big2"); got != "600\n" {
			t.Errorf("chmod 600 on the mount: mode in the guest %q", got)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(mnt, &st); err != nil || st.Blocks == 0 {
			t.Errorf("df on the mount (statvfs@openssh.com): %v, %+v; want the guest's disk", err, st)
		}
		if err := os.Remove(filepath.Join(mnt, "big2")); err != nil {
			t.Errorf("removing on the mount: %v", err)
		}
		if got := d.mustSSH(t, "alice", "ls /root/fs"); got != "hard.txt\nx\n" {
			t.Errorf("/root/fs in the guest after rm: %q, want hard.txt and x", got)
		}
	})

	t.Run("Rclone", func(t *testing.T) {
		requireClient(t, "rclone", rclonePath)
		env, _ := homeEnv(t)
		kh := d.knownHosts(t, t.TempDir())
		remote := fmt.Sprintf(":sftp,host=127.0.0.1,port=%s,user=alice,key_file=%s,known_hosts_file=%s:", d.port(), key, kh)
		rclone := func(args ...string) toolResult {
			t.Helper()
			return mustRunEnv(t, env, "", rclonePath, append([]string{"--config", "/dev/null", "-q"}, args...)...)
		}
		src := filepath.Join(t.TempDir(), "src")
		if err := os.Mkdir(src, 0o700); err != nil {
			t.Fatal(err)
		}
		sumA := writeRandomFile(t, filepath.Join(src, "a.bin"), 1<<20+1)
		writeRandomFile(t, filepath.Join(src, "b.bin"), 10)
		rclone("copy", src, remote+"/root/rc")
		if got := d.guestSHA256(t, "alice", "/root/rc/a.bin"); got != sumA {
			t.Errorf("rclone copy to the guest: sha256 %s, want %s", got, sumA)
		}
		rclone("check", src, remote+"/root/rc") // sizes and md5, run in the guest
		if fi, err := os.Stat(filepath.Join(src, "a.bin")); err != nil {
			t.Fatal(err)
		} else if got := d.mustSSH(t, "alice", "stat -c %Y /root/rc/a.bin"); got != fmt.Sprintf("%d\n", fi.ModTime().Unix()) {
			t.Errorf("rclone copy: mtime in the guest %q, want the local file's %d (set with setstat)", got, fi.ModTime().Unix())
		}
		d.mustSSH(t, "alice", "ln -s a.bin /root/rc/link.bin")
		if got := rclone("ls", remote+"/root/rc").stdout; !strings.Contains(got, "1048577 a.bin") ||
			!strings.Contains(got, "10 b.bin") || !strings.Contains(got, "1048577 link.bin") {
			t.Errorf("rclone ls: %q, want a.bin, b.bin and the link followed, with sizes", got)
		}
		back := filepath.Join(t.TempDir(), "back")
		rclone("copy", remote+"/root/rc", back)
		if got := fileSHA256(t, filepath.Join(back, "a.bin")); got != sumA {
			t.Errorf("rclone copy from the guest: sha256 %s, want %s", got, sumA)
		}
		if fi, err := os.Lstat(filepath.Join(back, "link.bin")); err != nil || !fi.Mode().IsRegular() || fileSHA256(t, filepath.Join(back, "link.bin")) != sumA {
			t.Errorf("rclone copy of a symlink: %v, %v; want a regular file with the target's content (rclone's sftp follows links)", fi, err)
		}
		if got := rclone("ls", "--sftp-skip-links", remote+"/root/rc").stdout; strings.Contains(got, "link.bin") {
			t.Errorf("rclone ls --sftp-skip-links: %q, want no link.bin", got)
		}
		// rclone hashes by running md5sum in the guest, its path quoted.
		data, err := os.ReadFile(filepath.Join(src, "a.bin"))
		if err != nil {
			t.Fatal(err)
		}
		h := md5.Sum(data)
		if got := rclone("md5sum", remote+"/root/rc/a.bin").stdout; got != hex.EncodeToString(h[:])+"  a.bin\n" {
			t.Errorf("rclone md5sum: %q, want %s  a.bin", got, hex.EncodeToString(h[:]))
		}
	})

	t.Run("LFTP", func(t *testing.T) {
		requireClient(t, "lftp", lftpPath)
		env, _ := homeEnv(t)
		dir := t.TempDir()
		kh := d.knownHosts(t, dir)
		local := filepath.Join(dir, "lftp")
		sum := writeRandomFile(t, local, 1<<20+3)
		connect := fmt.Sprintf("ssh -a -x -F none -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -i %s", kh, key)
		tree := filepath.Join(dir, "tree")
		if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		treeSum := writeRandomFile(t, filepath.Join(tree, "sub", "deep"), 5000)
		script := fmt.Sprintf("set sftp:connect-program %q; open -u alice, -p %s sftp://127.0.0.1; mkdir -p /root/lf; put %s -o /root/lf/up; ls /root/lf; get /root/lf/up -o %s.back; mirror -R %s /root/lf/tree; ln -s up /root/lf/up.link",
			connect, d.port(), local, local, tree)
		res := mustRunEnv(t, env, "", lftpPath, "-c", script)
		if !strings.Contains(res.stdout, " up\n") {
			t.Errorf("lftp ls: %q, want up listed", res.stdout)
		}
		if got := d.guestSHA256(t, "alice", "/root/lf/up"); got != sum {
			t.Errorf("lftp put: sha256 in the guest %s, want %s", got, sum)
		}
		if got := fileSHA256(t, local+".back"); got != sum {
			t.Errorf("lftp get: sha256 %s, want %s", got, sum)
		}
		if got := d.guestSHA256(t, "alice", "/root/lf/tree/sub/deep"); got != treeSum {
			t.Errorf("lftp mirror -R: sha256 in the guest %s, want %s", got, treeSum)
		}
		if got := d.mustSSH(t, "alice", "readlink /root/lf/up.link"); got != "up\n" {
			t.Errorf("lftp ln -s up /root/lf/up.link: link -> %q in the guest, want up", got)
		}
	})

	t.Run("CurlSFTP", func(t *testing.T) {
		requireClient(t, "curl", curlPath)
		env, home := homeEnv(t)
		if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		d.knownHosts(t, filepath.Join(home, ".ssh"))
		dir := t.TempDir()
		local := filepath.Join(dir, "curl")
		sum := writeRandomFile(t, local, 1<<20+7)
		base := fmt.Sprintf("sftp://127.0.0.1:%s", d.port())
		curl := func(args ...string) toolResult {
			t.Helper()
			return mustRunEnv(t, env, "", curlPath, append([]string{"-sS", "-u", "alice:", "--key", key, "--pubkey", key + ".pub"}, args...)...)
		}
		curl("--ftp-create-dirs", "-T", local, base+"/root/cs/up")
		curl("-T", local, base+"/~/cs-home")
		curl("-o", local+".back", base+"/root/cs/up")
		if got := d.guestSHA256(t, "alice", "/root/cs/up"); got != sum {
			t.Errorf("curl -T sftp://: sha256 in the guest %s, want %s", got, sum)
		}
		if got := d.guestSHA256(t, "alice", "/root/cs-home"); got != sum {
			t.Errorf("curl -T sftp://host/~/cs-home: sha256 of /root/cs-home %s, want %s", got, sum)
		}
		if got := fileSHA256(t, local+".back"); got != sum {
			t.Errorf("curl sftp:// download: sha256 %s, want %s", got, sum)
		}
		// curl's quote commands: "symlink SOURCE TARGET" makes TARGET ->
		// SOURCE.
		got := curl("-Q", "symlink up /root/cs/up.link", "-Q", "rename /root/cs/up /root/cs/moved", "-Q", "chmod 640 /root/cs/moved", "-l", base+"/root/cs/").stdout
		if !strings.Contains(got, "moved\n") || !strings.Contains(got, "up.link\n") {
			t.Errorf("curl -Q symlink, rename, chmod, then -l sftp://.../root/cs/: %q, want moved and up.link listed", got)
		}
		if got := d.mustSSH(t, "alice", "readlink /root/cs/up.link; stat -c %a /root/cs/moved"); got != "up\n640\n" {
			t.Errorf("after curl -Q: %q in the guest, want the link -> up and mode 640", got)
		}
	})

	t.Run("LibSSH", func(t *testing.T) {
		requireClient(t, "libssh-dev and gcc", gccPath, "/usr/include/libssh/libssh.h")
		bin := filepath.Join(t.TempDir(), "libssh_client")
		mustRun(t, "", gccPath, "-Wall", "-o", bin, "testdata/libssh_client.c", "-lssh")
		kh := d.knownHosts(t, t.TempDir())
		d.mustSSH(t, "alice", "mkdir -p /root/ls && echo t > /root/ls/target.txt")
		res := mustRun(t, "", bin, d.port(), "alice", key, kh, "target.txt", "/root/ls/link", "readlink /root/ls/link; cat /root/ls/link; exit 7")
		want := "readlink=target.txt\nstdout=target.txt\nt\nexit=7\n"
		if res.stdout != want {
			t.Errorf("libssh client: %q, want %q (sftp_symlink(target, link) makes link -> target)", res.stdout, want)
		}
	})
}

// unmountFUSE unmounts the FUSE mount at mnt, lazily if that fails.
func unmountFUSE(t testing.TB, mnt string) {
	t.Helper()
	if !isMountPoint(t, mnt) {
		return
	}
	if out, err := exec.Command(fusermountPath, "-u", mnt).CombinedOutput(); err != nil {
		t.Logf("fusermount3 -u %s: %v %s; unmounting lazily", mnt, err, out)
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount -l %s: %v %s", mnt, err, out)
		}
	}
}

// isMountPoint reports whether something is mounted at path.
func isMountPoint(t testing.TB, path string) bool {
	t.Helper()
	mounts, err := readMounts()
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(mounts, func(m mountInfo) bool { return m.point == path })
}

// runOnPTY runs the tool at path with args at a terminal of its own (TERM
// xterm), within sshTimeout, and returns what it wrote there and its exit
// status.
func runOnPTY(t testing.TB, env []string, path string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(env, "TERM=xterm")
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("starting %s on a pty: %v", path, err)
	}
	defer f.Close()
	timer := time.AfterFunc(sshTimeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, _ := io.ReadAll(f) // ends with EIO once the tool has exited
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", path, err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}
