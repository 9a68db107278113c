package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// sshdPath is Debian's OpenSSH server, the baseline of logins and transfers.
const sshdPath = "/usr/sbin/sshd"

// sshd is an OpenSSH server of the benchmark's own on 127.0.0.1: its own
// host key, config and authorized key, root logins by key only.
type sshd struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// startSSHD starts sshd in dir with pubKey as root's only key and waits until
// it accepts connections.
func startSSHD(dir, pubKey string) (*sshd, error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, fmt.Errorf("the baseline needs OpenSSH's sshd: %w (make bench installs openssh-server)", err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation directory
		return nil, err
	}
	s := &sshd{dir: dir}
	var err error
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	key := filepath.Join(dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("making sshd's host key: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(pubKey), 0o600); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(s.config()), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(sshdPath, "-D", "-e", "-f", cfg)
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting sshd: %w", err)
	}
	if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", s.port), 10*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("sshd: %w (see %s)", err, logf.Name())
	}
	return s, nil
}

// config is sshd_config: Debian's defaults where they matter for speed
// (sftp-server, no DNS lookups), limits raised as vmhostd's are for the
// benchmark, and everything in dir.
func (s *sshd) config() string {
	return fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/ssh_host_ed25519_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 1000
MaxSessions 100
AllowTcpForwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
`, s.port, s.dir, s.dir, s.dir)
}

// stop ends sshd, which it started.
func (s *sshd) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP polls addr until it accepts a connection.
func waitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
