package limits

import (
	"fmt"
	"os"
	"path/filepath"
)

// setting is one value written to a cgroup file directly, where containerd's
// resources types cannot say it (such as "max" to lift a limit).
type setting struct {
	dir   string // the group's directory in its hierarchy
	file  string
	value string
}

// write writes the setting's value to its file, which must exist.
func (s setting) write() error {
	p := filepath.Join(s.dir, s.file)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("setting %s: %w", p, err)
	}
	defer f.Close()
	if _, err := f.WriteString(s.value); err != nil {
		return fmt.Errorf("setting %s to %s: %w", p, s.value, err)
	}
	return nil
}

// writeAll writes every setting in order.
func writeAll(settings []setting) error {
	for _, s := range settings {
		if err := s.write(); err != nil {
			return err
		}
	}
	return nil
}

// exists reports whether the file dir/name exists: cgroup files tell which
// controllers and features a group has.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// missingError says that a limit cannot be set on this host.
func missingError(limit, file, dir string) error {
	return fmt.Errorf("this host cannot limit %s: %s has no %s (is the controller enabled?); leave the limit out or enable the controller",
		limit, dir, file)
}
