package namerule

import (
	"regexp"
	"strings"
	"testing"
)

// TestMatchesTheRegexp checks each rule against the regular expression it
// stands for, on names near its edges.
func TestMatchesTheRegexp(t *testing.T) {
	rules := []struct {
		rule Rule
		re   string
	}{
		{New("a-z_", "a-z0-9_-", 0, 31), `^[a-z_][a-z0-9_-]{0,31}$`},
		{New("a-z0-9", "a-z0-9-", 0, 31), `^[a-z0-9][a-z0-9-]{0,31}$`},
		{New("a-z0-9", "a-z0-9._-", 0, 62), `^[a-z0-9][a-z0-9._-]{0,62}$`},
		{New("a-z0-9", "a-z0-9+.-", 1, -1), `^[a-z0-9][a-z0-9+.-]+$`},
		{New("a-z0-9_", "a-z0-9_+-", 0, 80), `^[a-z0-9_][a-z0-9_+-]{0,80}$`},
	}
	names := []string{"", "a", "_", "-", "0", "A", "a-", "a_", "a.b", "a+b", "alice", "bob+web", "é",
		"a\x00", "a\n", "a b", "a/b", strings.Repeat("a", 32), strings.Repeat("a", 33),
		strings.Repeat("b", 63), strings.Repeat("b", 64), strings.Repeat("c", 81), strings.Repeat("c", 82)}
	for _, r := range rules {
		re := regexp.MustCompile(r.re)
		for _, name := range names {
			if got, want := r.rule.MatchString(name), re.MatchString(name); got != want {
				t.Errorf("%s on %q: %v, the regexp says %v", r.re, name, got, want)
			}
		}
	}
}
