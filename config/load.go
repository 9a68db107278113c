package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Loader loads configuration files, checking resource limits against Host.
type Loader struct {
	Host Host
}

// Load reads, decodes, completes and validates the configuration file at path,
// checking limits against this machine (see LocalHost).
func Load(path string) (*Config, error) {
	return Loader{Host: LocalHost()}.Load(path)
}

// Parse decodes, completes and validates a configuration held in data, as if
// read from the file name, checking limits against this machine.
func Parse(name string, data []byte) (*Config, error) {
	return Loader{Host: LocalHost()}.Parse(name, data)
}

// Load reads, decodes, completes and validates the configuration file at path.
func (l Loader) Load(path string) (*Config, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return l.Parse(path, data)
}

// readBounded reads the file at path, or its first MaxFileSize bytes and
// one more, so that a huge file is not read whole to be refused.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// Parse decodes data strictly, applies the defaults, makes relative paths
// absolute against the directory of name and validates the result. Every
// error message starts with name and the line it is about.
func (l Loader) Parse(name string, data []byte) (*Config, error) {
	r := newReport(name)
	c := &Config{Path: absPath(name)}
	if len(bytes.TrimSpace(data)) == 0 {
		r.addAt(0, "", "the file is empty; a configuration needs at least users: (see config.example.yaml)")
		return nil, r.err()
	}
	if !checkBounds(r, data) {
		return nil, r.err()
	}
	decodeFile(r, data, c)
	if len(r.errs) > 0 {
		return nil, r.err()
	}
	applyDefaults(c, r)
	resolvePaths(c, filepath.Dir(c.Path))
	loadClasses(c, r, filepath.Dir(c.Path))
	validate(&validator{report: r, c: c, host: l.Host})
	if len(r.errs) > 0 {
		return nil, r.err()
	}
	applyClasses(c)
	return c, nil
}

// absPath makes name absolute, or leaves it as it is if it cannot.
func absPath(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}
