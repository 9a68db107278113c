package v1alpha1

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestResourceName(t *testing.T) {
	tests := []struct {
		owner, name, want string
	}{
		{"alice", "alice", "alice"},
		{"alice", "web", "alice.web"},
		{"bob2", "0day", "bob2.0day"},
		{"a-b", "c-d", "a-b.c-d"},
		{"_bob", "_bob", "x.bth6uog.bth6uog"},
		{"bob_", "web", "x.c9nm4no.etim4"},
		{"alice", "web-", "x.c5m6ior5.etim4b8"},
	}
	for _, tt := range tests {
		got := ResourceName(tt.owner, tt.name)
		if got != tt.want {
			t.Errorf("ResourceName(%q, %q) = %q, want %q", tt.owner, tt.name, got, tt.want)
		}
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("ResourceName(%q, %q) = %q, not a DNS-1123 subdomain: %v", tt.owner, tt.name, got, errs)
		}
		o, n, err := ParseResourceName(got)
		if err != nil || o != tt.owner || n != tt.name {
			t.Errorf("ParseResourceName(%q) = %q, %q, %v; want %q, %q", got, o, n, err, tt.owner, tt.name)
		}
	}
}

func TestResourceNameLongest(t *testing.T) {
	owner := "_abcdefghijklmnopqrstuvwxyz01234"
	name := "abcdefghijklmnopqrstuvwxyz012345"
	got := ResourceName(owner, name)
	if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
		t.Errorf("ResourceName(%q, %q) = %q: %v", owner, name, got, errs)
	}
	for _, part := range []string{owner, name} {
		if len(part) != 32 {
			t.Fatalf("test part %q is %d bytes, want 32", part, len(part))
		}
	}
}

func TestResourceNameDistinct(t *testing.T) {
	parts := []string{"a", "b", "x", "a-b", "_a", "a_", "ab", "a-", "-a", "x-", "c5"}
	seen := map[string][2]string{}
	for _, o := range parts {
		for _, n := range parts {
			got := ResourceName(o, n)
			if prev, ok := seen[got]; ok {
				t.Errorf("ResourceName(%q, %q) = ResourceName(%q, %q) = %q", o, n, prev[0], prev[1], got)
			}
			seen[got] = [2]string{o, n}
		}
	}
}

func TestParseResourceNameRejects(t *testing.T) {
	for _, s := range []string{"", "alice.alice", "a.b.c", "x.zz.zz", "x.c5m6iovl", "Alice", "x.c5m6iovl.c5m6iovl", "a..b", "x.c5m6ior5.c5m6ior5"} {
		if o, n, err := ParseResourceName(s); err == nil {
			t.Errorf("ParseResourceName(%q) = %q, %q, nil; want an error", s, o, n)
		}
	}
}

func TestValidateNames(t *testing.T) {
	tests := []struct {
		owner, name string
		ok          bool
	}{
		{"alice", "alice", true},
		{"alice", "web", true},
		{"_svc", "_svc", true},
		{"_svc", "web", true},
		{"alice", "_web", false},
		{"alice", "Web", false},
		{"1alice", "web", false},
		{"alice", "", false},
		{"", "", false},
		{"alice", "a.b", false},
	}
	for _, tt := range tests {
		if err := ValidateNames(tt.owner, tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateNames(%q, %q) = %v, want ok=%v", tt.owner, tt.name, err, tt.ok)
		}
	}
}

func TestLabelValue(t *testing.T) {
	long := ResourceName("_abcdefghijklmnopqrstuvwxyz01234", "abcdefghijklmnopqrstuvwxyz012345")
	for _, name := range []string{"alice", "alice.web", long, long[:63], long[:64]} {
		got := LabelValue(name)
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
			t.Errorf("LabelValue(%q) = %q: %v", name, got, errs)
		}
		if len(name) <= 63 && got != name {
			t.Errorf("LabelValue(%q) = %q, want it unchanged", name, got)
		}
	}
	if LabelValue(long) == LabelValue(long[:64]) {
		t.Errorf("LabelValue(%q) = LabelValue(%q)", long, long[:64])
	}
}

func TestNameProblem(t *testing.T) {
	tests := []struct {
		name, owner, guest string
		ok                 bool
	}{
		{"alice", "alice", "alice", true},
		{"alice.web", "alice", "web", true},
		{"bob", "alice", "alice", false},
		{"alice.web", "alice", "db", false},
		{"x.bth6uog.bth6uog", "_bob", "_bob", true},
		{"x.bth6uog.bth6uog", "_bob", "web", false},
	}
	for _, tt := range tests {
		g := &Guest{Spec: GuestSpec{Owner: tt.owner, Name: tt.guest}}
		g.Name = tt.name
		if got := g.NameProblem(); (got == "") != tt.ok {
			t.Errorf("NameProblem(%s for %s+%s) = %q, want ok=%v", tt.name, tt.owner, tt.guest, got, tt.ok)
		}
	}
}
