package runes

import "testing"

func TestSplit(t *testing.T) {
	for _, tt := range []struct{ in, whole, rest string }{
		{"", "", ""},
		{"abc", "abc", ""},
		{"h\xc3", "h", "\xc3"},
		{"h\xc3\xa9", "h\xc3\xa9", ""},
		{"\xe2\x82", "", "\xe2\x82"},
		{"x\xf0\x9f\x98", "x", "\xf0\x9f\x98"},
		{"x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80", ""},
		{"bad\xa9", "bad\xa9", ""},
		{"bad\xa9\xa9\xa9\xa9", "bad\xa9\xa9\xa9\xa9", ""},
	} {
		w, r := Split([]byte(tt.in))
		if string(w) != tt.whole || string(r) != tt.rest {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tt.in, w, r, tt.whole, tt.rest)
		}
	}
}
