package authkeys

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testKey is an ed25519 public key in authorized_keys form.
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ3bS7l3P7fK4a3cDgZ0xS7B4iQ9bJ2pQw1vM5y8X3c alice@laptop"

func TestParseLineOptions(t *testing.T) {
	tests := []struct {
		opts string
		want Options
	}{
		{"", Options{}},
		{"no-pty", Options{Restrict: Restrictions{NoPTY: true}}},
		{"restrict", Options{Restrict: Restrictions{NoPTY: true, NoPortForwarding: true, NoAgentForwarding: true}}},
		{"restrict,pty", Options{Restrict: Restrictions{NoPortForwarding: true, NoAgentForwarding: true}}},
		{"restrict,port-forwarding,permitopen=\"db:5432\",permitopen=\"[::1]:*\"", Options{Restrict: Restrictions{
			NoPTY: true, NoAgentForwarding: true, PermitOpen: []string{"db:5432", "[::1]:*"}}}},
		{`permitlisten="8080",permitlisten="localhost:*"`, Options{Restrict: Restrictions{PermitListen: []string{"8080", "localhost:*"}}}},
		{`command="echo \"hi\"; exit 3"`, Options{Restrict: Restrictions{Command: `echo "hi"; exit 3`}}},
		{`from="10.0.0.0/8,!10.9.*,192.0.2.?"`, Options{From: []string{"10.0.0.0/8", "!10.9.*", "192.0.2.?"}}},
		{`expiry-time="20300102Z"`, Options{Expiry: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}},
		{`expiry-time="203001021530Z"`, Options{Expiry: time.Date(2030, 1, 2, 15, 30, 0, 0, time.UTC)}},
		{`cert-authority,principals="alice,ops"`, Options{CertAuthority: true, Principals: []string{"alice", "ops"}}},
		{"No-PTY,no-x11-forwarding,no-user-rc,no-touch-required", Options{Restrict: Restrictions{NoPTY: true}}},
	}
	for _, tt := range tests {
		line := testKey
		if tt.opts != "" {
			line = tt.opts + " " + testKey
		}
		got, err := ParseLine(line)
		if err != nil {
			t.Errorf("ParseLine(%q): %v", tt.opts, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got.Options, cmpopts.EquateComparable(time.Time{})); diff != "" {
			t.Errorf("ParseLine(%q) options mismatch (-want +got):\n%s", tt.opts, diff)
		}
		if got.Comment != "alice@laptop" {
			t.Errorf("ParseLine(%q) comment = %q", tt.opts, got.Comment)
		}
	}
}

func TestParseLineRefuses(t *testing.T) {
	tests := []struct{ line, want string }{
		{`tunnel="1" ` + testKey, "unsupported option"},
		{`environment="A=b" ` + testKey, "unsupported option"},
		{`verify-required ` + testKey, "unsupported option"},
		{`no-pty="1" ` + testKey, "takes no value"},
		{`command ` + testKey, "needs a value"},
		{`command=unquoted ` + testKey, "double quotes"},
		{`command="a",command="b" ` + testKey, "given twice"},
		{`from="10.0.0.0/33" ` + testKey, "not an address prefix"},
		{`from="" ` + testKey, "empty"},
		{`expiry-time="2030" ` + testKey, "YYYYMMDD"},
		{`permitopen="5432" ` + testKey, "host:port"},
		{`permitopen="db:99999" ` + testKey, "not 1 to 65535"},
		{`permitlisten="host:x" ` + testKey, "not 1 to 65535"},
		{`principals="alice" ` + testKey, "needs cert-authority"},
		{"ssh-ed25519 notbase64", "parsing public key"},
	}
	for _, tt := range tests {
		_, err := ParseLine(tt.line)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLine(%q) = %v, want an error containing %q", tt.line, err, tt.want)
		}
	}
	_, err := ParseLine(`tunnel="1" ` + testKey)
	if !errors.Is(err, ErrUnknownOption) {
		t.Errorf("an unknown option's error = %v, want ErrUnknownOption", err)
	}
}
