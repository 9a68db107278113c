package sshgate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianPython is Debian's python3, which has the client libraries the
// tests drive (python3-asyncssh); a python3 of one's own may not.
const debianPython = "/usr/bin/python3"

// requirePython skips the test unless Debian's python3 has module.
func requirePython(t *testing.T, module string) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s with %s is needed (make deps installs it): %v", debianPython, module, err)
	}
}

// asyncsshSymlink makes a symlink with AsyncSSH's sftp client, which sends
// the draft's argument order to a server whose banner is not OpenSSH's.
const asyncsshSymlink = `
import asyncio, sys, warnings
warnings.simplefilter("ignore")
import asyncssh

async def main(port, key, target, link):
    async with asyncssh.connect("127.0.0.1", port=int(port), username="alice",
                                client_keys=[key], known_hosts=None) as conn:
        async with conn.start_sftp_client() as sftp:
            await sftp.symlink(target, link)
            print(await sftp.readlink(link))

asyncio.run(main(*sys.argv[1:]))
`

func TestSFTPSymlinkAsyncSSH(t *testing.T) {
	requirePython(t, "asyncssh")
	ts, key := aliceServer(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "-c", asyncsshSymlink, ts.port, key.path, "target.txt", link).CombinedOutput()
	if err != nil {
		t.Fatalf("asyncssh symlink: %v\n%s", err, out)
	}
	got, err := os.Readlink(link)
	if err != nil || got != "target.txt" {
		t.Errorf("asyncssh's sftp.symlink(target.txt, %s): link -> %q, %v; want target.txt", link, got, err)
	}
	if strings.TrimSpace(string(out)) != "target.txt" {
		t.Errorf("asyncssh's readlink = %q, want target.txt", out)
	}
}

func TestSFTPSymlinkOpenSSH(t *testing.T) {
	ts, key := aliceServer(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", "-q", "-b", "-", "-F", "none", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-i", key.path, "-P", ts.port, "alice@127.0.0.1")
	cmd.Stdin = strings.NewReader("cd " + dir + "\nln -s full.bin full.link\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftp ln -s: %v\n%s", err, out)
	}
	if got, err := os.Readlink(filepath.Join(dir, "full.link")); err != nil || got != "full.bin" {
		t.Errorf("sftp ln -s full.bin full.link: -> %q, %v; want full.bin, as sshd keeps it", got, err)
	}
}

// paramikoSymlink makes a symlink with paramiko's sftp client, which always
// sends OpenSSH's argument order (target, then link).
const paramikoSymlink = `
import sys, warnings
warnings.simplefilter("ignore")
import paramiko

port, key, target, link = sys.argv[1:]
c = paramiko.SSHClient()
c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", port=int(port), username="alice", key_filename=key,
          look_for_keys=False, allow_agent=False)
s = c.open_sftp()
s.symlink(target, link)
print(s.readlink(link))
c.close()
`

func TestSFTPSymlinkParamiko(t *testing.T) {
	requirePython(t, "paramiko")
	ts, key := aliceServer(t)
	link := filepath.Join(t.TempDir(), "link")
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "-c", paramikoSymlink, ts.port, key.path, "target.txt", link).CombinedOutput()
	if err != nil {
		t.Fatalf("paramiko symlink: %v\n%s", err, out)
	}
	if got, err := os.Readlink(link); err != nil || got != "target.txt" {
		t.Errorf("paramiko's sftp.symlink(target.txt, %s): link -> %q, %v; want target.txt", link, got, err)
	}
}
