package config

import "bytes"

// Bounds of a configuration file, checked before it is parsed, so that a
// huge file is refused at once and with little memory: a YAML parser holds a
// node of a few hundred bytes for every value. (How deep values nest is
// bounded by the parser, and by the decoder, which descends only into the
// keys a configuration has; how far aliases expand, by its nodeBudget.)
const (
	// MaxFileSize is the largest configuration file read: a host with
	// thousands of users and their keys needs a few hundred KiB.
	MaxFileSize = 4 << 20
	// maxItems bounds the lines and flow-style items ([, {, and ,) of a
	// file, and so the nodes a parser makes of it.
	maxItems = 100_000
)

// checkBounds records a problem when data is too big to be a configuration,
// and reports whether it is within bounds.
func checkBounds(r *report, data []byte) bool {
	if len(data) > MaxFileSize {
		r.addAt(0, "", "the file is larger than %d MiB, the most a configuration may be; is this the configuration file?",
			MaxFileSize>>20)
		return false
	}
	if n := countItems(data); n > maxItems {
		r.addAt(0, "", "the file has %d lines and list or map items, more than the %d a configuration may have; is this the configuration file?",
			n, maxItems)
		return false
	}
	return true
}

// countItems counts the lines and the flow-style items of data: an upper
// bound of the values a YAML parser finds in it, aliases not expanded.
func countItems(data []byte) int {
	n := 1
	for _, c := range []byte("\n,[{&*") {
		n += bytes.Count(data, []byte{c})
	}
	return n
}
