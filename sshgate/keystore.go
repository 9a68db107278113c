package sshgate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/authkeys"
	"vmhost/config"
)

// maxAuthorizedKeysSize bounds how much of an authorized_keys file is read.
const maxAuthorizedKeysSize = 1 << 20

// KeyStore is the Users of a configuration: a user may log in with the keys
// listed in their config.User.Keys and in their AuthorizedKeysFile, and with
// user certificates signed by a CA listed there with cert-authority or in
// the server's trusted user CA file.
//
// Files are read at each authentication, so edits apply at once; a missing
// or unreadable file is logged and counts as no keys. Lines are in OpenSSH's
// authorized_keys format, with the options of package authkeys honoured; a
// line with an option that cannot be honoured admits nothing and is logged
// with the reason. Keys are compared by their wire encoding. A KeyStore is
// safe for concurrent use.
type KeyStore struct {
	users  map[string]keyUser
	caFile string // trusted user CA keys, "" for none
	log    *slog.Logger
	now    func() time.Time
}

// keyUser is the keys of one user.
type keyUser struct {
	lines []keyLine // from the configuration
	file  string    // authorized_keys file, "" for none
}

// keyLine is one parsed authorized_keys line and where it came from.
type keyLine struct {
	authkeys.Line
	via string // "keys[0]", "FILE:LINE", for the audit log
}

// NewKeyStore returns a KeyStore for users, trusting the user CA keys in
// caFile ("" for none). Configured keys that do not parse are logged and
// ignored. A nil log discards logs.
func NewKeyStore(users map[string]config.User, caFile string, log *slog.Logger) *KeyStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &KeyStore{users: make(map[string]keyUser, len(users)), caFile: caFile, log: log, now: time.Now}
	for name, u := range users {
		ku := keyUser{file: u.AuthorizedKeysFile}
		for i, text := range u.Keys {
			line, err := authkeys.ParseLine(text)
			if err != nil {
				log.Warn("ignoring configured key", "user", name, "index", i, "err", err)
				continue
			}
			ku.lines = append(ku.lines, keyLine{line, fmt.Sprintf("keys[%d]", i)})
		}
		k.users[name] = ku
	}
	return k
}

// Authorize implements Users.
func (k *KeyStore) Authorize(user string, key ssh.PublicKey, source netip.Addr) (Grant, error) {
	u, ok := k.users[user]
	if !ok {
		return Grant{}, ErrUnknownUser
	}
	lines := u.lines
	if u.file != "" {
		lines = append(lines[:len(lines):len(lines)], k.readLines(user, u.file)...)
	}
	return k.match(user, key, lines, k.trustedCAs, source)
}

// match finds key among lines, or the CA of a certificate key among lines
// and those cas returns.
func (k *KeyStore) match(user string, key ssh.PublicKey, lines []keyLine, cas func() []keyLine, source netip.Addr) (Grant, error) {
	if cert, ok := key.(*ssh.Certificate); ok {
		return k.authorizeCert(user, cert, lines, cas, source)
	}
	want := key.Marshal()
	var refusals []error
	for _, l := range lines {
		if l.Options.CertAuthority || !bytes.Equal(l.Key.Marshal(), want) {
			continue
		}
		if err := l.Options.Admits(source, k.now()); err != nil {
			refusals = append(refusals, fmt.Errorf("%s: %w", l.via, err))
			continue
		}
		return Grant{Restrictions: l.Options.Restrict, Via: l.via}, nil
	}
	return Grant{}, refused(refusals)
}

// refused is the error of a refused key, with the reasons of the lines
// that listed it but did not admit it.
func refused(reasons []error) error {
	if len(reasons) == 0 {
		return errNotAuthorized
	}
	return fmt.Errorf("%w: %w", errNotAuthorized, errors.Join(reasons...))
}

// readLines returns the lines of the authorized_keys file path that parse,
// logging those that do not.
func (k *KeyStore) readLines(user, path string) []keyLine {
	data, err := readBounded(path, maxAuthorizedKeysSize)
	if err != nil {
		k.log.Warn("reading authorized keys; treating as no keys", "user", user, "err", err)
		return nil
	}
	return parseKeyFile(data, path, func(n int, err error) {
		k.log.Warn("skipping authorized keys line", "user", user, "file", path, "line", n, "err", err)
	})
}

// parseKeyFile parses the lines of an authorized_keys file named name,
// telling skip about each that does not parse.
func parseKeyFile(data []byte, name string, skip func(line int, err error)) []keyLine {
	var lines []keyLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxAuthorizedKeysSize)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		line, err := authkeys.ParseLine(text)
		if err != nil {
			skip(n, err)
			continue
		}
		lines = append(lines, keyLine{line, fmt.Sprintf("%s:%d", name, n)})
	}
	return lines
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
