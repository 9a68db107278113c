package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// secretBytes is the size of a token, a session id and a CSRF token: 256
// random bits.
const secretBytes = 32

// newSecret returns a random secret and its hash, the only form kept.
func newSecret() (string, [sha256.Size]byte) {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails (crypto/rand)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s)
}

// hashSecret is the hash of a secret, by which it is looked up.
func hashSecret(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// equalSecret compares two secrets in constant time; empty never matches.
func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
