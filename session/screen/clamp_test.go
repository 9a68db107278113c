package screen

import (
	"strings"
	"testing"
)

func TestClamp(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"text digits untouched", "12345678901234567890", "12345678901234567890"},
		{"small params kept", "\x1b[10;20H", "\x1b[10;20H"},
		{"huge param capped", "\x1b[9223372036854775807@", "\x1b[9999@"},
		{"longer than int64", "\x1b[" + strings.Repeat("9", 300) + "I", "\x1b[9999I"},
		{"private modes kept", "\x1b[?1049h\x1b[?2004l", "\x1b[?1049h\x1b[?2004l"},
		{"truecolor kept", "\x1b[38;2;255;0;10m", "\x1b[38;2;255;0;10m"},
		{"leading zeros dropped", "\x1b[0005A", "\x1b[5A"},
		{"second param capped", "\x1b[3;123456r", "\x1b[3;9999r"},
		{"cancelled sequence", "\x1b[12\x18345", "\x1b[12\x18345"},
		{"text after sequence", "\x1b[5m99999", "\x1b[5m99999"},
		{"ESC inside params", "\x1b[1\x1b[99999H", "\x1b[1\x1b[9999H"},
	} {
		var c clamp
		if got := string(c.filter(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("%s: filter(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestClampSplit feeds every split of a sequence in two writes: the result
// is the same as one write.
func TestClampSplit(t *testing.T) {
	in := "ab\x1b[123456;7;0042H\x1b[?1049hcd"
	var whole clamp
	want := string(whole.filter(nil, []byte(in)))
	for i := 0; i <= len(in); i++ {
		var c clamp
		out := c.filter(nil, []byte(in[:i]))
		out = c.filter(out, []byte(in[i:]))
		if string(out) != want {
			t.Errorf("split at %d: %q, want %q", i, out, want)
		}
	}
}
