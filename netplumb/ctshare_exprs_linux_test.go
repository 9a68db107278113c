package netplumb

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestConnShareExprs compares the compiled rules with what nft makes of
// them (nft --debug=netlink), register by register: `iifname "vmt0" ct state
// new add @guests { ether saddr ct count over 16 } drop` and `iifname "vmt0"
// ct state new meta nfproto ipv6 meta l4proto tcp ct timeout set
// "tcp-ipv6-closed-5s"`.
func TestConnShareExprs(t *testing.T) {
	set := guestSet(inetTable("VMHOST-CT-vmt0"))
	set.ID = 7
	got := connShareExprs(connShare{Bridge: "vmt0", Max: 16}, set)
	newFromVmt0 := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: append([]byte("vmt0"), make([]byte, 12)...)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{8, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
	}
	count := append(slices.Clone(newFromVmt0),
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{1, 0}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
		&expr.Dynset{SrcRegKey: 1, SetName: "guests", SetID: 7, Operation: unix.NFT_DYNSET_OP_ADD,
			Exprs: []expr.Any{&expr.Connlimit{Count: 16, Flags: 1}}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	)
	timeout6 := append(slices.Clone(newFromVmt0),
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{10}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{6}},
		&expr.Objref{Type: 7, Name: "tcp-ipv6-closed-5s"},
	)
	if len(got) != 3 {
		t.Fatalf("connShareExprs gave %d rules, want 3", len(got))
	}
	for i, want := range map[int][]expr.Any{0: count, 2: timeout6} {
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("rule %d differs (-want +got):\n%s", i, diff)
		}
	}
	if set.KeyType != nftables.TypeEtherAddr || !set.Dynamic || set.Size < MaxGuests+1 {
		t.Errorf("guest set: key %s, dynamic %v, size %d; want ether_addr, dynamic, room for %d guests",
			set.KeyType.Name, set.Dynamic, set.Size, MaxGuests)
	}
}
