package sshgate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// maxAuthorizedKeysSize bounds how much of an authorized_keys file is read.
const maxAuthorizedKeysSize = 1 << 20

// errKeyOptions marks an authorized_keys line with options, which is skipped.
var errKeyOptions = errors.New("key options (from=, command=, ...) are not supported")

// KeyStore is the Users of a configuration: a user may log in with the keys
// listed in their config.User.Keys and in their AuthorizedKeysFile.
//
// The file is read at each authentication, so edits apply at once; a missing
// or unreadable file is logged and counts as no keys. Lines are in OpenSSH's
// authorized_keys format; a line with options (from="...", command="...",
// cert-authority, ...) is skipped with a warning rather than accepted without
// its restrictions. Keys are compared by their wire encoding. A KeyStore is
// safe for concurrent use.
type KeyStore struct {
	users map[string]keyUser
	log   *slog.Logger
}

// keyUser is the keys of one user.
type keyUser struct {
	keys [][]byte // marshalled public keys from the configuration
	file string   // authorized_keys file, "" for none
}

// NewKeyStore returns a KeyStore for users. Configured keys that do not parse
// are logged and ignored. A nil log discards logs.
func NewKeyStore(users map[string]config.User, log *slog.Logger) *KeyStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &KeyStore{users: make(map[string]keyUser, len(users)), log: log}
	for name, u := range users {
		ku := keyUser{file: u.AuthorizedKeysFile}
		for i, line := range u.Keys {
			key, err := parseKeyLine(line)
			if err != nil {
				log.Warn("ignoring configured key", "user", name, "index", i, "err", err)
				continue
			}
			ku.keys = append(ku.keys, key.Marshal())
		}
		k.users[name] = ku
	}
	return k
}

// Authorized reports whether key may log in as user.
func (k *KeyStore) Authorized(user string, key ssh.PublicKey) bool {
	u, ok := k.users[user]
	if !ok {
		return false
	}
	want := key.Marshal()
	for _, have := range u.keys {
		if bytes.Equal(have, want) {
			return true
		}
	}
	return u.file != "" && k.inFile(user, u.file, want)
}

// inFile reports whether the marshalled key want is in the authorized_keys
// file path.
func (k *KeyStore) inFile(user, path string, want []byte) bool {
	data, err := readBounded(path, maxAuthorizedKeysSize)
	if err != nil {
		k.log.Warn("reading authorized keys; treating as no keys", "user", user, "err", err)
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxAuthorizedKeysSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, err := parseKeyLine(line)
		if err != nil {
			k.log.Warn("skipping authorized keys line", "user", user, "file", path, "line", n, "err", err)
			continue
		}
		if bytes.Equal(key.Marshal(), want) {
			return true
		}
	}
	return false
}

// parseKeyLine parses one authorized_keys line without options.
func parseKeyLine(line string) (ssh.PublicKey, error) {
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	if len(options) > 0 {
		return nil, errKeyOptions
	}
	return key, nil
}

// readBounded reads at most limit bytes of the file path.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}
