package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sharedDebianSpec is the one Debian image the tests of guests' tools use,
// with everything any of them runs inside: built with debootstrap once per
// run (a few minutes), then handed to each test's daemon as a tarball,
// which it imports in seconds. TestDebian builds its own, with debootstrap,
// as a newcomer's config does.
const sharedDebianSpec = "{source: debootstrap, suite: bookworm, variant: minbase, " +
	"include: [iproute2, iputils-ping, iptables, procps, python3, openssh-client, rsync]}"

// sharedDebian is the tarball of the shared Debian image, made by the
// first test that asks for it.
var sharedDebian struct {
	once    sync.Once
	dir     string // removed when the run ends (removeSharedDebian)
	tarball string
	err     error
}

// debianTarImage returns the image spec of the shared Debian image:
// {source: tar, path: TARBALL}. The first call builds it; the others wait.
func debianTarImage(t *testing.T) string {
	t.Helper()
	requireDebootstrap(t)
	sharedDebian.once.Do(func() { sharedDebian.tarball, sharedDebian.err = buildSharedDebian() })
	if sharedDebian.err != nil {
		t.Fatalf("building the shared Debian image: %v", sharedDebian.err)
	}
	return fmt.Sprintf("{source: tar, path: %q}", sharedDebian.tarball)
}

// buildSharedDebian builds sharedDebianSpec with `vmhostd image build`
// under a config of its own, and packs its root filesystem as a tarball.
func buildSharedDebian() (string, error) {
	dir, err := os.MkdirTemp("", "vmhost-e2e-debian-")
	if err != nil {
		return "", err
	}
	sharedDebian.dir = dir
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	cfg := fmt.Sprintf("data_dir: %q\nrun_dir: %q\nimages:\n  debian: %s\nusers:\n  nobody:\n    keys: [%q]\n",
		data, filepath.Join(dir, "run"), sharedDebianSpec, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", err
	}
	start := time.Now()
	if out, err := exec.Command(daemonBin, "image", "build", "debian", "--config", path).CombinedOutput(); err != nil {
		return "", fmt.Errorf("vmhostd image build: %w\n%s", err, tail(string(out)))
	}
	tarball := filepath.Join(dir, "debian.tar")
	rootfs := filepath.Join(data, "images", "debian", "rootfs")
	if out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "-C", rootfs+"/", "-cf", tarball, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("packing the image: %w\n%s", err, out)
	}
	fmt.Printf("e2e: the shared Debian image took %v to build\n", time.Since(start).Round(time.Second))
	return tarball, os.RemoveAll(data)
}

// removeSharedDebian removes the shared Debian image at the end of the run.
func removeSharedDebian() {
	if sharedDebian.dir != "" {
		os.RemoveAll(sharedDebian.dir)
	}
}
