package limits

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeviceCgroupRules(t *testing.T) {
	want := []string{
		"deny a -1:-1 rwm",
		"allow c 1:3 rwm", "allow c 1:5 rwm", "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm",
		"allow c 5:0 rwm", "allow c 5:2 rwm",
		"allow c 136:-1 rwm", "allow c 137:-1 rwm", "allow c 138:-1 rwm", "allow c 139:-1 rwm",
		"allow c 140:-1 rwm", "allow c 141:-1 rwm", "allow c 142:-1 rwm", "allow c 143:-1 rwm",
	}
	var got []string
	for _, r := range deviceCgroupRules() {
		verb := "deny"
		if r.Allow {
			verb = "allow"
		}
		got = append(got, fmt.Sprintf("%s %s %d:%d %s", verb, r.Type, *r.Major, *r.Minor, r.Access))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deviceCgroupRules() (-want +got):\n%s", diff)
	}
}
