// Package runes finds where a stream of bytes may be cut without splitting
// a UTF-8 sequence, for the parts of the daemon that pass a guest's output
// on in pieces (the emulated screen, recordings).
package runes

import "unicode/utf8"

// Split splits b before an incomplete UTF-8 sequence at its end, which the
// next piece of the stream may complete; bytes that can never become UTF-8
// stay in whole.
func Split(b []byte) (whole, rest []byte) {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			break // ASCII: nothing incomplete after it
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i], b[len(b)-i:]
			}
			break
		}
	}
	return b, nil
}
