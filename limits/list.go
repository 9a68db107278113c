//go:build linux

package limits

import (
	"errors"
	"fmt"
	"os"
	"sort"
)

// List returns the ids of the guests that have a group under the parent,
// in any hierarchy, sorted. Equivalent to: ls /sys/fs/cgroup/*/vmhost-vmhost0
func (c *Controller) List() ([]string, error) {
	seen := map[string]bool{}
	for _, dir := range c.h.dirs(c.parent) {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing the guests' cgroups in %s: %w", dir, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				seen[e.Name()] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
