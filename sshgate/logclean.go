package sshgate

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of one value in a log line. Clients and guests choose much of what
// the server logs (login names, commands, paths, addresses, request and
// channel types, the errors a guest answers with), so every value is cut.
const (
	maxLogValue = 256      // any value
	maxLogError = 1024     // errors and causes, which quote several values
	maxLogStack = 64 << 10 // the stack of a recovered panic
)

// cleanHandler is a slog.Handler that makes every string value of a record
// printable and cuts it to a bound (see clip) before handing the record on.
type cleanHandler struct {
	inner slog.Handler
}

// newCleanHandler wraps h.
func newCleanHandler(h slog.Handler) slog.Handler {
	return cleanHandler{inner: h}
}

// Enabled implements slog.Handler.
func (h cleanHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h cleanHandler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, clip(r.Message, maxLogValue), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(cleanAttr(a))
		return true
	})
	return h.inner.Handle(ctx, nr)
}

// WithAttrs implements slog.Handler.
func (h cleanHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = cleanAttr(a)
	}
	return cleanHandler{inner: h.inner.WithAttrs(clean)}
}

// WithGroup implements slog.Handler.
func (h cleanHandler) WithGroup(name string) slog.Handler {
	return cleanHandler{inner: h.inner.WithGroup(clip(name, maxLogValue))}
}

// cleanAttr returns a with its value made printable and cut; numbers,
// booleans, durations and times are left as they are.
func cleanAttr(a slog.Attr) slog.Attr {
	a.Key = clip(a.Key, maxLogValue)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if a.Key == "stack" { // the server's own, with its line breaks
			a.Value = slog.StringValue(cut(v.String(), maxLogStack))
			break
		}
		a.Value = slog.StringValue(clip(v.String(), valueLimit(a.Key)))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = cleanAttr(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		a.Value = slog.StringValue(clip(anyString(v.Any()), valueLimit(a.Key)))
	default:
		a.Value = v
	}
	return a
}

// valueLimit is the bound of the value of key.
func valueLimit(key string) int {
	switch key {
	case "err", "cause", "reason":
		return maxLogError
	}
	return maxLogValue
}

// anyString renders a value of kind Any.
func anyString(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// clip returns s made printable and cut to at most max bytes (plus a marker
// that gives the length of s when it was cut). A rune that is not printable
// is written as Go escapes it ("\n", "\x1b", "\u200b"), and a byte that is
// not UTF-8 as "\xff".
func clip(s string, max int) string {
	if len(s) <= max && isPrintable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case !unicode.IsPrint(r):
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		}
		if b.Len()+len(piece) > max {
			fmt.Fprintf(&b, "…[cut: %d bytes]", len(s))
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// cut returns s cut to at most max bytes, marked as clip marks it.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + fmt.Sprintf("…[cut: %d bytes]", len(s))
}

// isPrintable reports whether s is UTF-8 made of printable runes.
func isPrintable(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
