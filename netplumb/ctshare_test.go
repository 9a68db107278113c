package netplumb

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// fakeConnShares is an in-memory [ConnShares] that behaves like nf_tables
// where the network relies on it: Set keeps a table that holds the share
// already (and the counts in it) and makes it again otherwise.
type fakeConnShares struct {
	mu     sync.Mutex
	tables map[string][]string // table → the rules of its chains
	made   int                 // tables made
	err    error               // what Set returns
}

func (f *fakeConnShares) Set(table string, s connShare) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if !slices.Equal(f.tables[table], s.rules()) {
		f.tables[table] = s.rules()
		f.made++
	}
	return nil
}

func (f *fakeConnShares) Teardown(table string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tables, table)
	return nil
}

func TestConnShareRules(t *testing.T) {
	tests := []struct {
		cfg  Config
		want []string
	}{
		{Config{Bridge: "vmhost0"}, []string{
			`iifname "vmhost0" ct state new add @guests { ether saddr ct count over 4096 } drop`,
			`iifname "vmhost0" ct state new meta nfproto ipv4 meta l4proto tcp ct timeout set "tcp-ipv4-closed-5s"`,
			`iifname "vmhost0" ct state new meta nfproto ipv6 meta l4proto tcp ct timeout set "tcp-ipv6-closed-5s"`,
		}},
		{Config{Bridge: "vmt1", Bounds: Bounds{Conntrack: 16}}, []string{
			`iifname "vmt1" ct state new add @guests { ether saddr ct count over 16 } drop`,
			`iifname "vmt1" ct state new meta nfproto ipv4 meta l4proto tcp ct timeout set "tcp-ipv4-closed-5s"`,
			`iifname "vmt1" ct state new meta nfproto ipv6 meta l4proto tcp ct timeout set "tcp-ipv6-closed-5s"`,
		}},
	}
	for _, tt := range tests {
		c := newConnShares(tt.cfg)
		if diff := cmp.Diff(tt.want, c.share.rules()); diff != "" {
			t.Errorf("rules of bridge %s, bounds %+v differ (-want +got):\n%s", tt.cfg.Bridge, tt.cfg.Bounds, diff)
		}
		if want := "VMHOST-CT-" + tt.cfg.Bridge; c.table != want {
			t.Errorf("table of bridge %s = %q, want %q", tt.cfg.Bridge, c.table, want)
		}
	}
}

// TestConnSharesLifetime follows the table through the network's use: set
// up twice (a restart) makes it once, a new share makes it again, teardown
// removes it, twice is fine.
func TestConnSharesLifetime(t *testing.T) {
	f := &fakeConnShares{tables: map[string][]string{}}
	c := newConnShares(Config{Bridge: "vmt0", ConnShares: f, Bounds: Bounds{Conntrack: 8}})
	rules8 := connShare{Bridge: "vmt0", Max: 8}.rules()
	rules9 := connShare{Bridge: "vmt0", Max: 9}.rules()
	steps := []struct {
		name string
		do   func() error
		want map[string][]string
		made int
	}{
		{"setup", c.setup, map[string][]string{"VMHOST-CT-vmt0": rules8}, 1},
		{"setup after a restart", c.setup, map[string][]string{"VMHOST-CT-vmt0": rules8}, 1},
		{"setup with a new share", func() error { c.share.Max = 9; return c.setup() }, map[string][]string{"VMHOST-CT-vmt0": rules9}, 2},
		{"teardown", c.teardown, map[string][]string{}, 2},
		{"teardown again", c.teardown, map[string][]string{}, 2},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s = %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, f.tables); diff != "" || f.made != s.made {
			t.Errorf("after %s, %d tables made (want %d); tables differ (-want +got):\n%s", s.name, f.made, s.made, diff)
		}
	}
}

// TestConnSharesUnsupported wants advice when the kernel lacks what the
// table needs.
func TestConnSharesUnsupported(t *testing.T) {
	for _, errno := range []error{unix.EOPNOTSUPP, unix.ENOENT} {
		c := newConnShares(Config{Bridge: "vmt0", ConnShares: &fakeConnShares{err: fmt.Errorf("nf_tables: %w", errno)}})
		err := c.setup()
		if !errors.Is(err, errno) || !strings.Contains(err.Error(), "CONFIG_NFT_CONNLIMIT") {
			t.Errorf("setup with %v = %v, want it wrapped with the kernel options needed", errno, err)
		}
	}
}
