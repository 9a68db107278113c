// Package record keeps the recordings of terminal sessions on the host: one
// asciicast v2 file per session, under a directory of the daemon's
// (data_dir/recordings/GUEST/), out of every guest's reach, readable by
// root alone.
package record

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"vmhost/session/asciicast"
)

// ErrNoRecording is returned by Open for an ID that names no recording.
var ErrNoRecording = errors.New("no such recording")

// Store is a directory of recordings, one subdirectory per guest.
type Store struct {
	dir string
	seq atomic.Uint64 // tells apart recordings started in the same second
}

// NewStore returns the store in dir, made (0700) when the first recording
// is.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Recording is a recording being written.
type Recording struct {
	*asciicast.Writer
	ID string // GUEST/FILE, as List and Open name it
	f  *os.File
}

// Create starts the recording of a session of guest that started at
// start, with header h; now is the clock of its events.
func (s *Store) Create(guest string, start time.Time, h asciicast.Header, now func() time.Time) (*Recording, error) {
	if err := checkGuest(guest); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, guest)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the recordings directory: %w", err)
	}
	name := fmt.Sprintf("%s-%d.cast", start.UTC().Format("20060102T150405Z"), s.seq.Add(1))
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the recording: %w", err)
	}
	w, err := asciicast.NewWriter(f, h, start, now)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Recording{Writer: w, ID: guest + "/" + name, f: f}, nil
}

// Close writes what is buffered and closes the file.
func (r *Recording) Close() error {
	err := r.Flush()
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing the recording: %w", cerr)
	}
	return err
}

// Entry describes a recording on disk.
type Entry struct {
	ID      string    `json:"id"`
	Guest   string    `json:"guest"`
	Started time.Time `json:"started"`
	Bytes   int64     `json:"bytes"`
}

// List lists the recordings of guest, or of every guest when guest is "",
// oldest first.
func (s *Store) List(guest string) ([]Entry, error) {
	guests := []string{guest}
	if guest == "" {
		ds, err := os.ReadDir(s.dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("listing recordings: %w", err)
		}
		guests = nil
		for _, d := range ds {
			if d.IsDir() {
				guests = append(guests, d.Name())
			}
		}
	}
	var out []Entry
	for _, g := range guests {
		es, err := s.listGuest(g)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.Started.Compare(b.Started) })
	return out, nil
}

// listGuest lists the recordings of one guest.
func (s *Store) listGuest(guest string) ([]Entry, error) {
	if checkGuest(guest) != nil {
		return nil, nil
	}
	ds, err := os.ReadDir(filepath.Join(s.dir, guest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing recordings of %s: %w", guest, err)
	}
	var out []Entry
	for _, d := range ds {
		started, ok := parseName(d.Name())
		info, err := d.Info()
		if !ok || err != nil || !info.Mode().IsRegular() {
			continue
		}
		out = append(out, Entry{ID: guest + "/" + d.Name(), Guest: guest, Started: started, Bytes: info.Size()})
	}
	return out, nil
}

// parseName reads the start time out of a recording's file name.
func parseName(name string) (time.Time, bool) {
	stamp, _, ok := strings.Cut(strings.TrimSuffix(name, ".cast"), "-")
	if !ok || !strings.HasSuffix(name, ".cast") {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", stamp)
	return t, err == nil
}

// Open opens the recording id (GUEST/FILE) for reading.
func (s *Store) Open(id string) (*os.File, error) {
	guest, name, ok := strings.Cut(id, "/")
	if _, valid := parseName(name); !ok || !valid || checkGuest(guest) != nil || strings.ContainsAny(name, "/\x00") {
		return nil, fmt.Errorf("%w: %q (ids are as 'vmhostd session ls' shows them)", ErrNoRecording, id)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, guest, name), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoRecording, id)
	}
	if err != nil {
		return nil, fmt.Errorf("opening recording %s: %w", id, err)
	}
	return f, nil
}

// checkGuest wants a guest ID that is one path element.
func checkGuest(guest string) error {
	if guest == "" || guest == "." || guest == ".." || strings.ContainsAny(guest, "/\x00") {
		return fmt.Errorf("%q is not a guest", guest)
	}
	return nil
}
