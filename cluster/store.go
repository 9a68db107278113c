package cluster

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"vmhost/atomicfile"
)

// FileName is the store's file in its directory, data_dir/cluster.
const FileName = "assigned.json"

// maxFileSize bounds the store's file: far more than MaxClusterGuests
// assignments take.
const maxFileSize = 64 << 20

// Errors of the store that callers branch on.
var (
	// ErrNotAssigned is returned for a guest that is not assigned here.
	ErrNotAssigned = errors.New("not assigned to this node")
	// ErrFull is returned for a new assignment past cluster.max_guests.
	ErrFull = errors.New("this node has as many guests assigned as cluster.max_guests allows")
	// ErrWrite is returned when the store's file could not be written;
	// the change is not made.
	ErrWrite = errors.New("writing assigned guests")
)

// file is what the store's file holds.
type file struct {
	Version int          `json:"version"`
	Guests  []Assignment `json:"guests"`
}

// Store keeps the guests assigned to this node, by ID, in
// DIR/assigned.json, written atomically (mode 0600) at each change. It is
// safe for concurrent use.
type Store struct {
	path   string
	mu     sync.Mutex // serializes changes and their writes
	guests map[string]Assignment
	owners map[string]int // assignments per owner
}

// Open returns the store of dir, made (0700) if missing, with the
// assignments its file holds. A file that does not parse, or an entry with
// bad names or twice, is an error: the file is the node's record.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the cluster directory: %w", err)
	}
	s := &Store{path: filepath.Join(dir, FileName), guests: map[string]Assignment{}, owners: map[string]int{}}
	if _, err := atomicfile.RemoveTemps(s.path); err != nil {
		return nil, fmt.Errorf("removing leftovers of %s: %w", s.path, err)
	}
	f, err := readFile(s.path)
	if err != nil {
		return nil, err
	}
	for i, a := range f.Guests {
		if err := s.load(a); err != nil {
			return nil, fmt.Errorf("%s: guest %d: %w; fix or remove that entry", s.path, i+1, err)
		}
	}
	return s, nil
}

// readFile reads the store's file; a missing one holds nothing.
func readFile(path string) (file, error) {
	var f file
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("reading assigned guests: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	switch {
	case err != nil:
		return f, fmt.Errorf("reading %s: %w", path, err)
	case len(data) > maxFileSize:
		return f, fmt.Errorf("%s is larger than %d MiB; it is not a file of assigned guests", path, maxFileSize>>20)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("reading %s: %w", path, err)
	}
	if f.Version != 1 {
		return f, fmt.Errorf("%s: version %d is not 1; was it written by a newer vmhostd?", path, f.Version)
	}
	return f, nil
}

// load adds a from the file.
func (s *Store) load(a Assignment) error {
	if err := a.CheckNames(); err != nil {
		return err
	}
	if _, dup := s.guests[a.ID()]; dup {
		return fmt.Errorf("%s is listed twice", a.ID())
	}
	s.put(a)
	return nil
}

// put records a in memory.
func (s *Store) put(a Assignment) {
	if _, ok := s.guests[a.ID()]; !ok {
		s.owners[a.Owner]++
	}
	s.guests[a.ID()] = a
}

// drop forgets the guest id in memory.
func (s *Store) drop(id string) {
	a, ok := s.guests[id]
	if !ok {
		return
	}
	delete(s.guests, id)
	if s.owners[a.Owner]--; s.owners[a.Owner] == 0 {
		delete(s.owners, a.Owner)
	}
}

// Assign records a, replacing the assignment of the same guest; a new one
// past max assignments is refused with ErrFull. It returns the assignment
// it replaced, if any. Only names are checked here: the caller checks the
// rest against the configuration (Assignment.Check).
func (s *Store) Assign(a Assignment, max int) (old Assignment, replaced bool, err error) {
	if err := a.CheckNames(); err != nil {
		return Assignment{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, replaced = s.guests[a.ID()]
	if !replaced && len(s.guests) >= max {
		return Assignment{}, false, fmt.Errorf("assigning %s: %w (%d)", a.ID(), ErrFull, max)
	}
	s.put(a)
	if err := s.write(); err != nil {
		s.drop(a.ID())
		if replaced {
			s.put(old)
		}
		return Assignment{}, false, err
	}
	return old, replaced, nil
}

// Unassign drops the assignment of owner's guest name and returns it, or
// ErrNotAssigned.
func (s *Store) Unassign(owner, name string) (Assignment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := Assignment{Owner: owner, Name: name}.ID()
	a, ok := s.guests[id]
	if !ok {
		return Assignment{}, fmt.Errorf("guest %s: %w", id, ErrNotAssigned)
	}
	s.drop(id)
	if err := s.write(); err != nil {
		s.put(a)
		return Assignment{}, err
	}
	return a, nil
}

// Get returns the assignment of owner's guest name, if it is assigned.
func (s *Store) Get(owner, name string) (Assignment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.guests[Assignment{Owner: owner, Name: name}.ID()]
	return a, ok
}

// Owned returns how many guests of owner are assigned.
func (s *Store) Owned(owner string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owners[owner]
}

// List returns every assignment, by owner then name.
func (s *Store) List() []Assignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Assignment, 0, len(s.guests))
	for _, a := range s.guests {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Assignment) int {
		return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// write writes every assignment to the file. Called with s.mu held.
func (s *Store) write() error {
	f := file{Version: 1, Guests: make([]Assignment, 0, len(s.guests))}
	for _, a := range s.guests {
		f.Guests = append(f.Guests, a)
	}
	slices.SortFunc(f.Guests, func(a, b Assignment) int { return cmp.Compare(a.ID(), b.ID()) })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding assigned guests: %w", err)
	}
	if err := atomicfile.WriteFile(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}
