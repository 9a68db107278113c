package images

import (
	"bufio"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// defaultMirror is the Debian mirror used when neither the config nor the
// host's apt names one.
const defaultMirror = "http://deb.debian.org/debian"

// aptSource is one "deb" source of an apt configuration: a URI and its
// suites.
type aptSource struct {
	uri    string
	suites []string
}

// readAptSources returns the "deb" sources of the apt configuration in
// aptDir (/etc/apt), in the order apt reads them: sources.list, then the
// *.list and *.sources files of sources.list.d by name. Unreadable files are
// skipped.
func readAptSources(aptDir string) []aptSource {
	files := []string{filepath.Join(aptDir, "sources.list")}
	parts, _ := filepath.Glob(filepath.Join(aptDir, "sources.list.d", "*"))
	sort.Strings(parts)
	for _, p := range parts {
		if strings.HasSuffix(p, ".list") || strings.HasSuffix(p, ".sources") {
			files = append(files, p)
		}
	}
	var out []aptSource
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.HasSuffix(f, ".sources") {
			out = append(out, parseDeb822Sources(string(data))...)
		} else {
			out = append(out, parseOneLineSources(string(data))...)
		}
	}
	return out
}

// parseOneLineSources parses the one-line format of sources.list:
// "deb [options] URI SUITE COMPONENT...".
func parseOneLineSources(data string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "deb ")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			if _, after, ok := strings.Cut(rest, "]"); ok {
				rest = after
			}
		}
		if f := strings.Fields(rest); len(f) >= 2 {
			out = append(out, aptSource{uri: f[0], suites: f[1:2]})
		}
	}
	return out
}

// parseDeb822Sources parses the deb822 format of *.sources files: stanzas
// of Types:, URIs:, Suites: and Enabled: fields.
func parseDeb822Sources(data string) []aptSource {
	var out []aptSource
	for _, stanza := range strings.Split(strings.ReplaceAll(data, "\r", ""), "\n\n") {
		f := deb822Fields(stanza)
		if !strings.Contains(" "+f["types"]+" ", " deb ") || strings.EqualFold(f["enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(f["uris"]) {
			out = append(out, aptSource{uri: uri, suites: strings.Fields(f["suites"])})
		}
	}
	return out
}

// deb822Fields returns the single-line fields of a stanza by lower-case
// name; comments and continuation lines are left out.
func deb822Fields(stanza string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(stanza, "\n") {
		if line == "" || line[0] == '#' || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return fields
}

// lastSegment is the last element of the path of uri, such as "debian" for
// http://deb.debian.org/debian/.
func lastSegment(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	return path.Base(path.Clean("/" + u.Path))
}

// firstWithSegment returns the URI of the first source whose path ends in
// segment, or "".
func firstWithSegment(sources []aptSource, segment string) string {
	for _, s := range sources {
		if lastSegment(s.uri) == segment {
			return strings.TrimSuffix(s.uri, "/")
		}
	}
	return ""
}

// hostMirror returns the Debian mirror of the host's apt in aptDir: the
// first source whose path ends in /debian, or defaultMirror.
func hostMirror(aptDir string) string {
	if m := firstWithSegment(readAptSources(aptDir), "debian"); m != "" {
		return m
	}
	return defaultMirror
}

// securityMirror returns where the security updates of mirror's Debian come
// from: the same host if it is deb.debian.org, else the host's apt
// debian-security source, else deb.debian.org.
func securityMirror(mirror, aptDir string) string {
	if u, err := url.Parse(mirror); err == nil && u.Host == "deb.debian.org" {
		return u.Scheme + "://deb.debian.org/debian-security"
	}
	if m := firstWithSegment(readAptSources(aptDir), "debian-security"); m != "" {
		return m
	}
	return "http://deb.debian.org/debian-security"
}
