package sshgate

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"vmhost/atomicfile"
)

// HostKeyFiles are the names of the host key files in a server's host key
// directory, as sshd names them: ed25519, ECDSA P-256 and RSA 3072, so that
// clients and appliances without ed25519 connect too.
var HostKeyFiles = []string{"ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"}

// hostKeyGenerators make a new key for each of HostKeyFiles.
var hostKeyGenerators = map[string]func() (crypto.Signer, error){
	"ssh_host_ed25519_key": func() (crypto.Signer, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	},
	"ssh_host_ecdsa_key": func() (crypto.Signer, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	},
	"ssh_host_rsa_key": func() (crypto.Signer, error) {
		return rsa.GenerateKey(rand.Reader, 3072)
	},
}

// LoadOrCreateHostKeys returns the host keys in dir, one per HostKeyFiles,
// first creating each that is missing.
func LoadOrCreateHostKeys(dir string) ([]ssh.Signer, error) {
	if dir == "" {
		return nil, errors.New("loading host keys: no host key directory given")
	}
	var signers []ssh.Signer
	for _, name := range HostKeyFiles {
		s, err := LoadOrCreateHostKey(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

// LoadOrCreateHostKey returns the host key in the file path, first creating
// it when there is none: a key of the kind its name says (one of
// HostKeyFiles, ed25519 for any other name) in OpenSSH format, mode 0600,
// written atomically. A key file readable or writable by group or others, or
// one that does not parse, is an error.
func LoadOrCreateHostKey(path string) (ssh.Signer, error) {
	if path == "" {
		return nil, errors.New("loading host key: no host key path given")
	}
	signer, err := loadHostKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createHostKey(path)
	}
	return signer, err
}

// loadHostKey reads and parses the host key in path, checking its mode.
func loadHostKey(path string) (ssh.Signer, error) {
	data, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("parsing host key %s: %w; move it away to have a new one generated", path, err)
	}
	return signer, nil
}

// readPrivate reads at most 64 KiB of the regular file path, which must not
// be readable or writable by group or others.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading host key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("loading host key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("host key %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("host key %s has mode %04o: it must be private to its owner; run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("loading host key: %w", err)
	}
	return data, nil
}

// createHostKey generates a host key of the kind path's name says and
// writes it to path.
func createHostKey(path string) (ssh.Signer, error) {
	generate, ok := hostKeyGenerators[filepath.Base(path)]
	if !ok {
		generate = hostKeyGenerators[HostKeyFiles[0]]
	}
	priv, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generating host key %s: %w", path, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "vmhost host key")
	if err != nil {
		return nil, fmt.Errorf("encoding host key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("writing host key: %w", err)
	}
	if err := atomicfile.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("writing host key: %w", err)
	}
	return ssh.NewSignerFromKey(priv)
}

// LoadHostCertificates returns a signer for each host certificate file in
// paths (OpenSSH's HostCertificate: a *-cert.pub file made with ssh-keygen
// -h), each bound to the key of keys it certifies. A file that is not a host
// certificate, or certifies none of keys, is an error.
func LoadHostCertificates(paths []string, keys []ssh.Signer) ([]ssh.Signer, error) {
	var signers []ssh.Signer
	for _, path := range paths {
		s, err := loadHostCertificate(path, keys)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

// loadHostCertificate reads the host certificate in path and binds it to its
// key among keys.
func loadHostCertificate(path string, keys []ssh.Signer) (ssh.Signer, error) {
	data, err := readBounded(path, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("loading host certificate: %w", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("parsing host certificate %s: %w", path, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok || cert.CertType != ssh.HostCert {
		return nil, fmt.Errorf("host certificate %s: not a host certificate (make one with ssh-keygen -h -s CA_KEY)", path)
	}
	for _, k := range keys {
		if bytes.Equal(k.PublicKey().Marshal(), cert.Key.Marshal()) {
			s, err := ssh.NewCertSigner(cert, k)
			if err != nil {
				return nil, fmt.Errorf("host certificate %s: %w", path, err)
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("host certificate %s certifies none of the host keys (%s): sign one of the ssh_host_*_key.pub files", path, ssh.FingerprintSHA256(cert.Key))
}
