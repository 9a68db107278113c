package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestToolboxFileTransfer checks sftp and scp against a busybox guest, which
// has neither: the sftp subsystem is vmhost's own, served inside the guest.
// Files go up and come back with the same sha256, seen from both sides.
func TestToolboxFileTransfer(t *testing.T) {
	requireTools(t, scpPath, sftpPath)
	t.Parallel()
	d := newToolboxDaemon(t, "")
	dir := t.TempDir()
	key := d.keyOf(t, "alice")

	t.Run("SFTP", func(t *testing.T) {
		for _, size := range []int64{0, 3<<20 + 17, 64 << 20} {
			local := filepath.Join(dir, fmt.Sprintf("sftp-%d", size))
			sum := writeRandomFile(t, local, size)
			back := local + ".back"
			remote := fmt.Sprintf("/root/sftp-%d", size)
			batch := fmt.Sprintf("put %s %s\nget %s %s\n", local, remote, remote, back)
			mustRun(t, batch, sftpPath, append(d.toolArgs(key), "-b", "-", "alice@127.0.0.1")...)
			if got := d.guestSHA256(t, "alice", remote); got != sum {
				t.Errorf("sha256 of %d bytes put with sftp, in the guest = %s, want %s", size, got, sum)
			}
			if got := fileSHA256(t, back); got != sum {
				t.Errorf("sha256 of %d bytes got back with sftp = %s, want %s", size, got, sum)
			}
		}
	})
	t.Run("SFTPCommands", func(t *testing.T) {
		batch := "mkdir /tmp/sftpdir\nrename /tmp/sftpdir /tmp/sftpdir2\nls -l /tmp\nrmdir /tmp/sftpdir2\npwd\n"
		res := mustRun(t, batch, sftpPath, append(d.toolArgs(key), "-b", "-", "alice@127.0.0.1")...)
		if !strings.Contains(res.stdout, "sftpdir2") || !strings.Contains(res.stdout, "Remote working directory: /root") {
			t.Errorf("sftp mkdir, rename, ls, pwd: stdout %q, want the renamed directory listed and /root as working directory", res.stdout)
		}
	})
	t.Run("SFTPAsSSHD", func(t *testing.T) {
		// As against sshd: cp (copy-data), a relative symlink kept as
		// given, put -f (fsync), df, and ls -l with owners' names.
		local := filepath.Join(dir, "small")
		writeRandomFile(t, local, 1000)
		batch := "mkdir /root/d\ncd /root/d\nput " + local + " full.bin\n" +
			"cp full.bin copy.bin\nln -s full.bin full.link\nput -f " + local + " synced\n" +
			"df -h\nls -l\n"
		res := mustRun(t, batch, sftpPath, append(d.toolArgs(key), "-b", "-", "alice@127.0.0.1")...)
		if !strings.Contains(res.stdout, "Avail") || !strings.Contains(res.stdout, " root ") {
			t.Errorf("sftp df, ls -l: stdout %q, want sizes and owners' names", res.stdout)
		}
		out := d.mustSSH(t, "alice", "cd /root/d && readlink full.link && ls copy.bin synced")
		if out != "full.bin\ncopy.bin\nsynced\n" {
			t.Errorf("after sftp cp and ln -s: %q, want the link to full.bin as given and the copy", out)
		}
	})
	t.Run("SCP", func(t *testing.T) {
		// OpenSSH 9's scp speaks SFTP unless told -O.
		local := filepath.Join(dir, "scp")
		sum := writeRandomFile(t, local, 5<<20+3)
		back := local + ".back"
		mustRun(t, "", scpPath, append(d.toolArgs(key), local, "alice@127.0.0.1:/root/scp")...)
		mustRun(t, "", scpPath, append(d.toolArgs(key), "alice@127.0.0.1:/root/scp", back)...)
		if got := d.guestSHA256(t, "alice", "/root/scp"); got != sum {
			t.Errorf("sha256 of the file put with scp, in the guest = %s, want %s", got, sum)
		}
		if got := fileSHA256(t, back); got != sum {
			t.Errorf("sha256 of the file got back with scp = %s, want %s", got, sum)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		log := d.log()
		for _, want := range []string{"msg=login audit=true outcome=accepted", "kind=sftp", "msg=\"session ended\"",
			"msg=\"file transfer\" audit=true user=alice owner=alice guest=alice",
			"kind=sftp path=/root/scp mode=write outcome=closed bytes_read=0 bytes_written=5242883"} {
			if !strings.Contains(log, want) {
				t.Errorf("daemon log has no %q line", want)
			}
		}
	})
}
