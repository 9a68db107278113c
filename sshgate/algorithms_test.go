package sshgate

import (
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

func TestHostKeysAllKinds(t *testing.T) {
	dir := t.TempDir()
	keys, err := LoadOrCreateHostKeys(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateHostKeys: %v", err)
	}
	var types []string
	for _, k := range keys {
		types = append(types, k.PublicKey().Type())
	}
	if got, want := strings.Join(types, " "), "ssh-ed25519 ecdsa-sha2-nistp256 ssh-rsa"; got != want {
		t.Errorf("host key types = %q, want %q", got, want)
	}
	rsaKey := keys[2].PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
	if bits := rsaKey.N.BitLen(); bits != 3072 {
		t.Errorf("RSA host key has %d bits, want 3072", bits)
	}
	again, err := LoadOrCreateHostKeys(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateHostKeys reloading: %v", err)
	}
	for i := range keys {
		if string(keys[i].PublicKey().Marshal()) != string(again[i].PublicKey().Marshal()) {
			t.Errorf("host key %s changed when reloaded", HostKeyFiles[i])
		}
	}
}

// TestClientAlgorithms logs in with the OpenSSH client limited to one host
// key algorithm or key exchange at a time, as an old client or appliance
// would.
func TestClientAlgorithms(t *testing.T) {
	ts, key := aliceServer(t)
	for _, opt := range []string{
		"HostKeyAlgorithms=ssh-ed25519",
		"HostKeyAlgorithms=ecdsa-sha2-nistp256",
		"HostKeyAlgorithms=rsa-sha2-256",
		"HostKeyAlgorithms=rsa-sha2-512",
		"KexAlgorithms=curve25519-sha256",
		"KexAlgorithms=diffie-hellman-group16-sha512",
		"KexAlgorithms=diffie-hellman-group-exchange-sha256",
		"KexAlgorithms=diffie-hellman-group14-sha256",
		"KexAlgorithms=ecdh-sha2-nistp256",
	} {
		res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-o", opt}, args: []string{"echo ok"}})
		if res.code != 0 || res.stdout != "ok\n" {
			t.Errorf("ssh -o %s: exit %d, stdout %q, stderr %q; want ok", opt, res.code, res.stdout, res.stderr)
		}
	}
}

// TestHostCertificate has the OpenSSH client trust the server only through a
// host CA, as an organisation's known_hosts does with @cert-authority.
func TestHostCertificate(t *testing.T) {
	requireSSH(t)
	key := newUserKey(t, "alice")
	dir := t.TempDir()
	ca := filepath.Join(dir, "host_ca")
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-C", "host-ca", "-f", ca)
	hostKeys := seedHostKeys(t, t.TempDir())
	pub := filepath.Join(dir, "ssh_host_ecdsa_key.pub")
	writePublicKey(t, filepath.Join(hostKeys, "ssh_host_ecdsa_key"), pub)
	sshKeygen(t, "-q", "-s", ca, "-I", "vmhost-test", "-h", "-n", "127.0.0.1", pub)
	cert := filepath.Join(dir, "ssh_host_ecdsa_key-cert.pub")

	ts := startServer(t, usersWithKey("alice", key), func(o *Options) {
		o.HostKeyDir = hostKeys
		o.HostCertificates = []string{cert}
	})
	caPub, err := os.ReadFile(ca + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	line := "@cert-authority 127.0.0.1 " + strings.TrimSpace(string(caPub)) + "\n"
	if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo ok"}, opts: []string{
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
		"-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256-cert-v01@openssh.com",
	}})
	if res.code != 0 || res.stdout != "ok\n" {
		t.Errorf("ssh trusting only the host CA: exit %d, stdout %q, stderr %q; want ok", res.code, res.stdout, res.stderr)
	}
}

func TestHostCertificateErrors(t *testing.T) {
	requireSSH(t)
	dir := t.TempDir()
	hostKeys := seedHostKeys(t, t.TempDir())
	keys, err := LoadOrCreateHostKeys(hostKeys)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca")
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-f", ca)
	other := filepath.Join(dir, "other")
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-f", other)
	sshKeygen(t, "-q", "-s", ca, "-I", "other", "-h", other+".pub")
	user := filepath.Join(dir, "user")
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-f", user)
	sshKeygen(t, "-q", "-s", ca, "-I", "user", user+".pub")
	for _, tt := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope-cert.pub"), "no such file"},
		{"a plain key", ca + ".pub", "not a host certificate"},
		{"a user certificate", user + "-cert.pub", "not a host certificate"},
		{"another key's", other + "-cert.pub", "certifies none of the host keys"},
	} {
		_, err := LoadHostCertificates([]string{tt.path}, keys)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: LoadHostCertificates = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// sshKeygen runs ssh-keygen with args.
func sshKeygen(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writePublicKey writes the public half of the private key file priv to pub.
func writePublicKey(t *testing.T, priv, pub string) {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-y", "-f", priv).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y -f %s: %v", priv, err)
	}
	if err := os.WriteFile(pub, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// usersWithKey is the users map where name logs in with key.
func usersWithKey(name string, key userKey) map[string]config.User {
	return map[string]config.User{name: {Keys: []string{key.pub}}}
}
