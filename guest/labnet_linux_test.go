package guest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// linksPolicy gives the guest pc of s01 a link.
type linksPolicy struct{ testPolicy }

func (linksPolicy) LinksOf(owner, name string) []config.LabLink {
	if owner == "s01" && name == "pc" {
		return []config.LabLink{{Segment: "net101/s01/0", Iface: "eth1"}}
	}
	return nil
}

// fakeLinks records what Attach got.
type fakeLinks struct{ got map[string][]config.LabLink }

func (f *fakeLinks) Attach(id string, links []config.LabLink, nsPath string) error {
	f.got[id+" "+nsPath] = links
	return nil
}

func TestAttachLinks(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy Policy
		want   map[string][]config.LabLink
	}{
		{"links", linksPolicy{}, map[string][]config.LabLink{"s01+pc /ns": {{Segment: "net101/s01/0", Iface: "eth1"}}}},
		{"no links policy", testPolicy{}, map[string][]config.LabLink{}},
	} {
		f := &fakeLinks{got: map[string][]config.LabLink{}}
		m := &Manager{opts: Options{Policy: tt.policy, Links: f}}
		for _, st := range []*State{{Owner: "s01", Name: "pc"}, {Owner: "s01", Name: "router"}, {Owner: "alice", Name: "alice"}} {
			if err := m.attachLinks(st, "/ns"); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(tt.want, f.got); diff != "" {
			t.Errorf("%s: attached (-want +got):\n%s", tt.name, diff)
		}
	}
}
