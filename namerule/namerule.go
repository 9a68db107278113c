// Package namerule checks names against simple rules: one character from a
// first set, then a bounded number from a second set.
//
// It stands in for regular expressions such as ^[a-z_][a-z0-9_-]{0,31}$:
// a counted repetition compiles, at every process start, into a program of
// tens of kilobytes, and every guest's init (the daemon's own binary) pays
// for those its packages hold.
package namerule

// Rule is a name rule: a first character from one set, then between MinRest
// and MaxRest characters from another.
type Rule struct {
	first, rest *[256]bool
	minRest     int
	maxRest     int // negative: no bound
}

// New returns the rule of a first character from first, then between
// minRest and maxRest (negative: any number) characters from rest. Sets
// are written as in a regular expression's brackets, without them: "a-z0-9_-"
// (a '-' last stands for itself).
func New(first, rest string, minRest, maxRest int) Rule {
	return Rule{first: set(first), rest: set(rest), minRest: minRest, maxRest: maxRest}
}

// MatchString reports whether name follows the rule.
func (r Rule) MatchString(name string) bool {
	if name == "" || !r.first[name[0]] {
		return false
	}
	n := len(name) - 1
	if n < r.minRest || (r.maxRest >= 0 && n > r.maxRest) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !r.rest[name[i]] {
			return false
		}
	}
	return true
}

// set returns the table of the bytes that spec names.
func set(spec string) *[256]bool {
	var t [256]bool
	for i := 0; i < len(spec); i++ {
		if i+2 < len(spec) && spec[i+1] == '-' {
			for c := int(spec[i]); c <= int(spec[i+2]); c++ {
				t[c] = true
			}
			i += 2
			continue
		}
		t[spec[i]] = true
	}
	return &t
}
