package guestinit

import "strings"

// hostsWithName returns an /etc/hosts whose 127.0.1.1 line names hostname,
// as Debian's installer writes it, keeping every other line.
func hostsWithName(old []byte, hostname string) []byte {
	want := "127.0.1.1\t" + hostname
	var lines []string
	found := false
	for _, line := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "127.0.1.1" {
			if found {
				continue
			}
			line, found = want, true
		}
		if line != "" || len(lines) > 0 {
			lines = append(lines, line)
		}
	}
	if !found {
		lines = append(lines, want)
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}
