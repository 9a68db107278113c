package config

import (
	"fmt"
	"strings"
)

// unknownKey says that key does not belong in path, with the likely intended
// key, or else the keys that do belong there.
func unknownKey(key, path string, known []string) string {
	where := path
	if where == "" {
		where = "the top level"
	}
	msg := fmt.Sprintf("unknown key %q in %s", key, where)
	if s := closest(key, known); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + "; the keys here are " + strings.Join(known, ", ")
}

// closest returns the known name nearest to s, if it is near enough to be a
// typo, or "".
func closest(s string, known []string) string {
	if len(s) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
