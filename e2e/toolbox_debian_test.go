package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rsyncPath is the rsync the Debian toolbox test drives.
const rsyncPath = "/usr/bin/rsync"

// TestToolboxDebian checks what needs tools inside the guest, on a Debian
// guest: rsync both ways, scp -O, and ssh-add -l through agent forwarding.
func TestToolboxDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireDebootstrap(t)
	requireTools(t, rsyncPath, scpPath, sshAgentPath, sshAddPath)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "debian", debianTarImage(t), "bob"))
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	key := d.keyOf(t, "bob")

	t.Run("Rsync", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "tree")
		sums := map[string]string{}
		for i, size := range []int64{0, 1000, 2<<20 + 1} {
			name := fmt.Sprintf("sub%d/f%d", i%2, i)
			if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			sums[name] = writeRandomFile(t, filepath.Join(src, name), size)
		}
		rsh := strings.Join(append([]string{sshPath}, d.sshArgs(key, "bob")[:len(d.sshArgs(key, "bob"))-1]...), " ")
		mustRun(t, "", rsyncPath, "-a", "-e", rsh, src+"/", "bob@127.0.0.1:/root/tree/")
		back := filepath.Join(t.TempDir(), "back")
		mustRun(t, "", rsyncPath, "-a", "-e", rsh, "bob@127.0.0.1:/root/tree/", back+"/")
		for name, sum := range sums {
			if got := d.guestSHA256(t, "bob", "/root/tree/"+name); got != sum {
				t.Errorf("rsync to the guest: sha256 of %s = %s, want %s", name, got, sum)
			}
			if got := fileSHA256(t, filepath.Join(back, name)); got != sum {
				t.Errorf("rsync from the guest: sha256 of %s = %s, want %s", name, got, sum)
			}
		}
	})
	t.Run("SCPLegacy", func(t *testing.T) {
		local := filepath.Join(t.TempDir(), "scp-O")
		sum := writeRandomFile(t, local, 3<<20)
		back := local + ".back"
		mustRun(t, "", scpPath, append(d.toolArgs(key), "-O", local, "bob@127.0.0.1:/root/scp-O")...)
		mustRun(t, "", scpPath, append(d.toolArgs(key), "-O", "bob@127.0.0.1:/root/scp-O", back)...)
		if got := d.guestSHA256(t, "bob", "/root/scp-O"); got != sum {
			t.Errorf("scp -O to the guest: sha256 %s, want %s", got, sum)
		}
		if got := fileSHA256(t, back); got != sum {
			t.Errorf("scp -O from the guest: sha256 %s, want %s", got, sum)
		}
	})
	t.Run("SSHAdd", func(t *testing.T) {
		env := startAgent(t, key)
		fp := runTool(t, env, "", "/usr/bin/ssh-keygen", "-l", "-f", key+".pub")
		res := runTool(t, env, "", sshPath, append(d.sshArgs(key, "bob", "-A"), "ssh-add -l")...)
		want := strings.Fields(fp.stdout)
		if res.code != 0 || len(want) < 2 || !strings.Contains(res.stdout, want[1]) {
			t.Errorf("ssh -A bob ssh-add -l: exit %d, stdout %q, stderr %q; want the key %v", res.code, res.stdout, res.stderr, want)
		}
	})
}
