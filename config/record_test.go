package config

import (
	"strings"
	"testing"
)

func TestRecordingFor(t *testing.T) {
	in := withKeys("defaults:\n  record: true\n  record_fail: closed\nusers:\n" +
		"  alice: {keys: [\"<alice-key>\"]}\n" +
		"  bob: {keys: [\"<bob-key>\"], record: false, record_input: true, record_fail: open}\n")
	c, err := testLoader.Parse("c.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		user string
		want RecordPolicy
	}{
		{"alice", RecordPolicy{On: true, FailClosed: true}},
		{"bob", RecordPolicy{Input: true}},
		{"nobody", RecordPolicy{On: true, FailClosed: true}},
	} {
		if got := c.RecordingFor(tt.user); got != tt.want {
			t.Errorf("RecordingFor(%q) = %+v, want %+v", tt.user, got, tt.want)
		}
	}
}

func TestRecordFailChecked(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"defaults:\n  record_fail: maybe\n", `defaults.record_fail: "maybe" is not a choice`},
		{"users:\n  alice: {keys: [\"<alice-key>\"], record_fail: shut}\n", `users.alice.record_fail: "shut" is not a choice`},
	} {
		in := withKeys(tt.in)
		if !strings.Contains(tt.in, "users:") {
			in = withKeys(tt.in + "users:\n  alice: {keys: [\"<alice-key>\"]}\n")
		}
		_, err := testLoader.Parse("c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", in, err, tt.want)
		}
	}
}
