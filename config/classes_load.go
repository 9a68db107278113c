package config

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// MaxRosterSize bounds a class roster file.
const MaxRosterSize = 1 << 20

// loadClasses completes every class after the paths are resolved: it names
// it, reads its roster into users, reads its open and close times and
// fills check_timeout. dir is the configuration's directory. Problems go
// to r at the class's keys, a roster's at its file and line.
func loadClasses(c *Config, r *report, dir string) {
	rostered := make(map[string]string) // student -> class, from rosters
	for _, name := range sortedKeys(c.Classes) {
		cl := c.Classes[name]
		path := "classes." + name
		cl.Name = name
		cl.Roster = resolvePath(dir, cl.Roster)
		cl.Setup = resolvePath(dir, cl.Setup)
		cl.Check = resolvePath(dir, cl.Check)
		if cl.CheckTimeout == 0 && !r.has(path+".check_timeout") {
			cl.CheckTimeout = DefaultCheckTimeout
		}
		cl.OpenAt = classTime(r, path+".open", cl.Open)
		cl.CloseAt = classTime(r, path+".close", cl.Close)
		cl.Members = slices.Clone(cl.Students)
		if cl.Roster != "" {
			cl.Members = append(cl.Members, readRoster(c, r, path+".roster", cl.Roster, name, rostered)...)
		}
		c.Classes[name] = cl
	}
}

// classTime reads an open or close time, RFC 3339.
func classTime(r *report, path, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.addf(path, "%q is not a time; write it in RFC 3339, like 2026-12-10T09:00:00Z or 2026-12-10T10:00:00+01:00", s)
	}
	return t
}

// readRoster reads the roster file at file, "name ssh-key..." per line
// (blank lines and # comments skipped, a name on several lines has each
// key), adds its students to c.Users and returns their names in the order
// of the file. A student who is also in users: is an error: keep one; so
// is one in the roster of another class (rostered says whose).
func readRoster(c *Config, r *report, path, file, class string, rostered map[string]string) []string {
	data, err := readRegular(file, MaxRosterSize)
	switch {
	case err != nil:
		r.addf(path, "cannot read the roster: %s", oneLine(err.Error()))
		return nil
	case len(data) > MaxRosterSize:
		r.addf(path, "%s is larger than %d bytes; split the class", file, MaxRosterSize)
		return nil
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxRosterSize)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, key, _ := strings.Cut(text, " ")
		key = strings.TrimSpace(key)
		at := fmt.Sprintf("%s, %s line %d", path, filepath.Base(file), line)
		_, inUsers := c.Users[name]
		other, inRoster := rostered[name]
		switch {
		case !userName.MatchString(name):
			r.addf(path, "%s: %q is not a valid user name (lower-case letters, digits, '_' and '-', at most 32)", at, name)
		case inRoster && other != class:
			r.addf(path, "%s: %s is in the roster of class %s too; a student is in one class", at, name, other)
		case inUsers && !inRoster:
			r.addf(path, "%s: %s is also in users:; keep the student in one place", at, name)
		case key == "":
			r.addf(path, "%s: %s has no key; write \"%s ssh-ed25519 AAAA...\"", at, name, name)
		default:
			if msg := keyProblem(key); msg != "" {
				r.addf(path, "%s: %s", at, msg)
				continue
			}
			if c.Users == nil {
				c.Users = make(map[string]User)
			}
			u := c.Users[name]
			u.Keys = append(u.Keys, key)
			c.Users[name] = u
			if !inRoster {
				rostered[name] = class
				names = append(names, name)
			}
		}
	}
	return names
}

// applyClasses makes every class's settings its students' own, once the
// configuration is valid: image, a guest per host, limits, idle_stop and
// recording, each over what the student has in users:.
func applyClasses(c *Config) {
	for _, name := range sortedKeys(c.Classes) {
		cl := c.Classes[name]
		for _, s := range cl.Members {
			u := c.Users[s]
			if cl.Image != "" {
				u.Image = cl.Image
			}
			if len(cl.Hosts) > 0 {
				u.MaxGuests = len(cl.Hosts)
			}
			u.Limits = u.Limits.Override(cl.Limits)
			if cl.IdleStop != nil {
				u.IdleStop = cl.IdleStop
			}
			if cl.Record != nil {
				u.Record = cl.Record
			}
			if cl.RecordInput != nil {
				u.RecordInput = cl.RecordInput
			}
			c.Users[s] = u
		}
	}
}

// MaxScriptSize bounds a class's setup and check scripts.
const MaxScriptSize = 1 << 20

// ReadScript reads a class's setup or check script at path, refusing
// anything but a regular file of at most MaxScriptSize bytes.
func ReadScript(path string) ([]byte, error) {
	return readRegular(path, MaxScriptSize)
}

// readRegular reads the regular file at path, of at most max bytes (one
// more is read, so the caller can tell it is larger). It is opened without
// blocking: a FIFO, a terminal or a device named in a configuration is
// refused at once instead of hanging the load.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	case int64(len(data)) > max:
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}
