package authkeys

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// parseFrom reads a from= pattern list: comma-separated address patterns
// with * and ?, CIDR prefixes, each negated by a leading "!".
func parseFrom(v string) ([]string, error) {
	var pats []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" || p == "!" {
			continue
		}
		if body := strings.TrimPrefix(p, "!"); strings.Contains(body, "/") {
			if _, err := netip.ParsePrefix(body); err != nil {
				return nil, fmt.Errorf("option from=: %q is not an address prefix: %w", body, err)
			}
		}
		pats = append(pats, p)
	}
	if len(pats) == 0 {
		return nil, errors.New("option from= is empty")
	}
	return pats, nil
}

// MatchFrom reports whether addr matches the from= patterns as sshd matches
// them without DNS (UseDNS no, its default): a negated pattern that matches
// refuses at once, otherwise any matching pattern admits. Host names never
// match, as no reverse lookup is made.
func MatchFrom(patterns []string, addr netip.Addr) bool {
	addr = addr.Unmap()
	ok := false
	for _, p := range patterns {
		body, negated := strings.CutPrefix(p, "!")
		if !matchAddr(body, addr) {
			continue
		}
		if negated {
			return false
		}
		ok = true
	}
	return ok
}

// matchAddr matches one pattern, a prefix or a wildcard, against addr.
func matchAddr(pattern string, addr netip.Addr) bool {
	if strings.Contains(pattern, "/") {
		p, err := netip.ParsePrefix(pattern)
		return err == nil && p.Contains(addr)
	}
	return Wildcard(strings.ToLower(pattern), strings.ToLower(addr.String()))
}

// Wildcard reports whether s matches pattern, where * stands for any
// string and ? for any one character (sshd's match_pattern).
func Wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if Wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// ParseExpiry reads an expiry-time= value, YYYYMMDD or YYYYMMDDHHMM[SS], in
// the host's time zone, or UTC with a trailing Z.
func ParseExpiry(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(v) == len(layout) {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("option expiry-time=%q: write YYYYMMDD or YYYYMMDDHHMM[SS], with Z for UTC", v)
}

// Admits says why the options refuse a login from source at now, or nil:
// the from= patterns and the expiry time.
func (o Options) Admits(source netip.Addr, now time.Time) error {
	if o.From != nil && !MatchFrom(o.From, source) {
		return fmt.Errorf("source %s is not in from=%q", source, strings.Join(o.From, ","))
	}
	if !o.Expiry.IsZero() && !now.Before(o.Expiry) {
		return fmt.Errorf("key expired at %s (expiry-time)", o.Expiry.Format(time.RFC3339))
	}
	return nil
}
