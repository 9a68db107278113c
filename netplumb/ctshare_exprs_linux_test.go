package netplumb

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestConnShareExprs compares the compiled rule with what nft makes of
// `iifname "vmt0" ct state new add @guests { ether saddr ct count over 16 }
// drop` (nft --debug=netlink), register by register.
func TestConnShareExprs(t *testing.T) {
	set := guestSet(inetTable("VMHOST-CT-vmt0"))
	set.ID = 7
	got := connShareExprs(connShare{Bridge: "vmt0", Max: 16}, set)
	name := append([]byte("vmt0"), make([]byte, 12)...)
	want := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: name},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{8, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{1, 0}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
		&expr.Dynset{SrcRegKey: 1, SetName: "guests", SetID: 7, Operation: unix.NFT_DYNSET_OP_ADD,
			Exprs: []expr.Any{&expr.Connlimit{Count: 16, Flags: 1}}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connShareExprs differ (-want +got):\n%s", diff)
	}
	if set.KeyType != nftables.TypeEtherAddr || !set.Dynamic || set.Size < MaxGuests+1 {
		t.Errorf("guest set: key %s, dynamic %v, size %d; want ether_addr, dynamic, room for %d guests",
			set.KeyType.Name, set.Dynamic, set.Size, MaxGuests)
	}
}
