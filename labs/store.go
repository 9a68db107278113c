package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"vmhost/namerule"

	"vmhost/atomicfile"
)

// Store keeps what the service learns under <data_dir>/labs/CLASS/:
//
//	setup/GUEST.json       the last setup of each guest (SetupResult)
//	checks/TIME.json       every check run (Report), the newest MaxKeptChecks
//	last-check/GUEST.json  each guest's last check result (Result)
//
// Files are 0600 and directories 0700, written atomically.
type Store struct {
	dir string // <data_dir>/labs
}

// NewStore returns the store under dir, <data_dir>/labs.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// MaxKeptChecks bounds the check runs kept per class; older ones are
// removed.
const MaxKeptChecks = 200

// maxStoreFile bounds a file read back from the store.
const maxStoreFile = 16 << 20

// Setup results.
const (
	SetupRunning     = "running"
	SetupOK          = "ok"
	SetupFailed      = "failed"
	SetupInterrupted = "interrupted"
)

// SetupResult is how the last setup of a guest went.
type SetupResult struct {
	// Result is running, ok, failed or interrupted (the daemon stopped
	// while it ran).
	Result   string    `json:"result"`
	ExitCode int       `json:"exit_code"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// storeName matches the class and guest names the store makes paths of:
// they come from the configuration, this is a second look.
var storeName = namerule.New("a-z0-9_", "a-z0-9_+-", 0, 80)

// path returns <dir>/class/sub/name, refusing names that are no plain
// names.
func (s *Store) path(class, sub, name string) (string, error) {
	for _, n := range []string{class, name} {
		if !storeName.MatchString(n) {
			return "", fmt.Errorf("%q is not a name the lab store keeps", n)
		}
	}
	return filepath.Join(s.dir, class, sub, name+".json"), nil
}

// write writes v as JSON to <dir>/class/sub/name.json.
func (s *Store) write(class, sub, name string, v any) error {
	p, err := s.path(class, sub, name)
	if err != nil {
		return err
	}
	if err := s.mkdirs(filepath.Dir(p)); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", p, err)
	}
	return atomicfile.WriteFile(p, append(data, '\n'), 0o600)
}

// mkdirs makes dir and its parents up to the store's, 0700.
func (s *Store) mkdirs(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making %s: %w", dir, err)
	}
	for d := dir; len(d) >= len(s.dir); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", d, err)
		}
	}
	return nil
}

// read reads <dir>/class/sub/name.json into v; it reports false when there
// is none.
func (s *Store) read(class, sub, name string, v any) (bool, error) {
	p, err := s.path(class, sub, name)
	if err != nil {
		return false, err
	}
	return readJSON(p, v)
}

// readJSON reads the JSON file p, bounded, into v.
func readJSON(p string, v any) (bool, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStoreFile))
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", p, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("reading %s: %w", p, err)
	}
	return true, nil
}

// SaveSetup records the setup of guest in class.
func (s *Store) SaveSetup(class, guest string, r SetupResult) error {
	return s.write(class, "setup", guest, r)
}

// Setup returns the last setup of guest in class; nil when none ran.
func (s *Store) Setup(class, guest string) (*SetupResult, error) {
	var r SetupResult
	ok, err := s.read(class, "setup", guest, &r)
	if !ok {
		return nil, err
	}
	return &r, err
}

// ForgetSetup drops the setup record of guest in class, as when the guest
// is removed.
func (s *Store) ForgetSetup(class, guest string) error {
	p, err := s.path(class, "setup", guest)
	if err == nil {
		err = os.Remove(p)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// InterruptSetups marks every setup recorded as running as interrupted:
// called when the daemon starts, no setup of a past run goes on.
func (s *Store) InterruptSetups(now time.Time) error {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*", "setup", "*.json"))
	var errs []error
	for _, p := range files {
		var r SetupResult
		if ok, err := readJSON(p, &r); !ok || err != nil || r.Result != SetupRunning {
			continue
		}
		r.Result, r.ExitCode, r.Finished = SetupInterrupted, -1, now
		r.Error = "the daemon stopped while it ran; reset the guest to run it again"
		data, _ := json.MarshalIndent(r, "", "  ")
		errs = append(errs, atomicfile.WriteFile(p, append(data, '\n'), 0o600))
	}
	return errors.Join(errs...)
}

// SaveCheck keeps the check run rep, and each of its results as its
// guest's last; it returns the run's file. Older runs past MaxKeptChecks
// are removed.
func (s *Store) SaveCheck(rep Report) (string, error) {
	name := strings.ToLower(rep.Time.UTC().Format("20060102t150405.000000000z"))
	name = strings.ReplaceAll(name, ".", "-")
	if err := s.write(rep.Class, "checks", name, rep); err != nil {
		return "", err
	}
	var errs []error
	for _, r := range rep.Results {
		errs = append(errs, s.write(rep.Class, "last-check", r.Guest, r))
	}
	s.prune(filepath.Join(s.dir, rep.Class, "checks"))
	p, _ := s.path(rep.Class, "checks", name)
	return p, errors.Join(errs...)
}

// prune removes the oldest runs in dir past MaxKeptChecks.
func (s *Store) prune(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	slices.Sort(files) // names sort as their times
	for len(files) > MaxKeptChecks {
		os.Remove(files[0])
		files = files[1:]
	}
}

// LastCheck returns the last check result of guest in class; nil when it
// was never checked.
func (s *Store) LastCheck(class, guest string) (*Result, error) {
	var r Result
	ok, err := s.read(class, "last-check", guest, &r)
	if !ok {
		return nil, err
	}
	return &r, err
}
