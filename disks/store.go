package disks

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Limits are what one guest's disk holds: bytes of its own files and
// inodes. Zero means not set.
type Limits struct {
	Bytes  int64
	Inodes int64
}

// Usage is what a guest's own files take and may take.
type Usage struct {
	Bytes       int64 `json:"bytes"`
	LimitBytes  int64 `json:"limit_bytes"`
	Inodes      int64 `json:"inodes"`
	LimitInodes int64 `json:"limit_inodes"`
}

// Store keeps the disks of one daemon's guests in one directory.
type Store struct {
	dir string
	log *slog.Logger
}

// New returns the store of disks in dir, made 0700 if missing.
func New(dir string, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the disks directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("setting mode of %s: %w", dir, err)
	}
	return &Store{dir: dir, log: log}, nil
}

// Image is the path of the disk file of guest id.
func (s *Store) Image(id string) string {
	return filepath.Join(s.dir, id+".img")
}

// MountDir is where the disk of guest id is mounted.
func (s *Store) MountDir(id string) string {
	return filepath.Join(s.dir, id)
}

// Has reports whether guest id has a disk.
func (s *Store) Has(id string) bool {
	_, err := os.Stat(s.Image(id))
	return err == nil
}

// checkID refuses a guest id that is not one name in the store's
// directory: empty, with a slash or NUL, or starting with a dot.
func checkID(id string) error {
	if id == "" || strings.ContainsAny(id, "/\x00") || strings.HasPrefix(id, ".") {
		return fmt.Errorf("%q is not a guest id", id)
	}
	return nil
}

// ErrNoDisk is returned for a guest without a disk of its own.
var ErrNoDisk = errors.New("no disk of its own")
