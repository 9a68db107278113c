package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// fieldError is one problem in a configuration file: where it is and what to do.
type fieldError struct {
	file string
	line int    // 0 when the problem is the file as a whole
	path string // key path such as users.alice.keys[0]; empty for none
	msg  string
}

// Error renders the problem as "file:line: path: advice".
func (e *fieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		b.WriteString(":" + strconv.Itoa(e.line))
	}
	b.WriteString(": ")
	if e.path != "" {
		b.WriteString(e.path + ": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

// report collects the problems of one file and the line of every key path met
// while decoding it, so that later checks can point at lines too.
type report struct {
	file  string
	lines map[string]int
	errs  []*fieldError
}

func newReport(file string) *report {
	return &report{file: file, lines: make(map[string]int)}
}

// has reports whether the key path was written in the file.
func (r *report) has(path string) bool {
	_, ok := r.lines[path]
	return ok
}

// line returns the line of path, or of its nearest written ancestor.
func (r *report) line(path string) int {
	for path != "" {
		if l, ok := r.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

// parentPath drops the last element of a key path: a ".key" or an "[index]".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// addf records a problem at the line of path.
func (r *report) addf(path, format string, args ...any) {
	r.addAt(r.line(path), path, format, args...)
}

// addAt records a problem at a given line.
func (r *report) addAt(line int, path, format string, args ...any) {
	r.errs = append(r.errs, &fieldError{file: r.file, line: line, path: path, msg: fmt.Sprintf(format, args...)})
}

// err returns every recorded problem ordered by line, or nil.
func (r *report) err() error {
	slices.SortStableFunc(r.errs, func(a, b *fieldError) int { return a.line - b.line })
	errs := make([]error, len(r.errs))
	for i, e := range r.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// addYAML records an error of the YAML parser, moving its line to the front.
func (r *report) addYAML(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	r.addAt(line, "", "not valid YAML: %s%s", oneLine(msg), yamlAdvice(line, msg))
}

// oneLine keeps a message on one line, so every line of a joined error starts
// with the file name.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// yamlAdvice suggests a fix for a YAML syntax error.
func yamlAdvice(line int, msg string) string {
	switch {
	case strings.Contains(msg, "cannot start any token"):
		return "; YAML does not allow tabs for indentation, use spaces"
	case line > 0:
		return "; check the indentation and quoting on this line and the one before"
	}
	return ""
}
