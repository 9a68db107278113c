package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"vmhost/atomicfile"
)

// keptBrowser is a browser session as its file keeps it: the hash of its
// cookie, never the cookie.
type keptBrowser struct {
	Hash    string    `json:"hash"`
	Person  string    `json:"person"`
	CSRF    string    `json:"csrf"`
	Owner   string    `json:"owner"`
	Guest   string    `json:"guest"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// maxKeptFile bounds the file of kept sessions read back: maxBrowsers of
// them, with room.
const maxKeptFile = 64 << 20

// save writes the live sessions to s.file, 0600, atomically; nothing
// without a file. s.mu is held.
func (s *browsers) save() {
	if s.file == "" {
		return
	}
	kept := make([]keptBrowser, 0, len(s.byHash))
	for h, b := range s.byHash {
		kept = append(kept, keptBrowser{Hash: hex.EncodeToString(h[:]), Person: b.person, CSRF: b.csrf,
			Owner: b.owner, Guest: b.guest, Created: b.created, Expires: b.expires})
	}
	data, err := json.Marshal(kept)
	if err == nil {
		err = atomicfile.WriteFile(s.file, data, 0o600)
	}
	if err != nil {
		s.failed(fmt.Errorf("keeping the browser sessions in %s: %w", s.file, err))
	}
}

// load reads the sessions s.file keeps, those not expired; none when
// there is no file.
func (s *browsers) load() error {
	if s.file == "" {
		return nil
	}
	f, err := os.Open(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the kept browser sessions: %w", err)
	}
	defer f.Close()
	var kept []keptBrowser
	if err := json.NewDecoder(io.LimitReader(f, maxKeptFile)).Decode(&kept); err != nil {
		return fmt.Errorf("reading the kept browser sessions in %s: %w", s.file, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, k := range kept {
		h, ok := keptHash(k.Hash)
		if !ok || k.Person == "" || k.CSRF == "" || !now.Before(k.Expires) || len(s.byHash) >= maxBrowsers {
			continue
		}
		s.byHash[h] = &browser{person: k.Person, csrf: k.CSRF, owner: k.Owner, guest: k.Guest, created: k.Created, expires: k.Expires}
	}
	return nil
}

// keptHash decodes the hex hash of a kept session.
func keptHash(s string) ([sha256.Size]byte, bool) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, false
	}
	copy(h[:], b)
	return h, true
}
