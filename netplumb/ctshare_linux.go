package netplumb

import (
	"bytes"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// connSharePriority runs the chains after the filter chains (iptables'
// included), so that only connections the firewall lets through count.
var connSharePriority = nftables.ChainPriorityRef(10)

// connShareHooknum is the hook of each chain of [connShareHooks].
var connShareHooknum = map[string]*nftables.ChainHook{
	"forward": nftables.ChainHookForward,
	"input":   nftables.ChainHookInput,
}

// nfConnShares is the real [ConnShares]: nf_tables over netlink, in the
// network namespace of the daemon.
type nfConnShares struct{}

// inetTable returns the inet family table called name.
func inetTable(name string) *nftables.Table {
	return &nftables.Table{Name: name, Family: nftables.TableFamilyINet}
}

// guestSet returns the set of the guests' connections of table.
func guestSet(t *nftables.Table) *nftables.Set {
	return &nftables.Set{Table: t, Name: connShareSet, KeyType: nftables.TypeEtherAddr, Dynamic: true, Size: connShareSetSize}
}

// Set implements [ConnShares].
// Equivalent to: nft delete table inet T (if it differs); nft add table inet
// T; nft add set inet T guests '{ type ether_addr; size N; flags dynamic; }';
// and for each hook H: nft add chain inet T H '{ type filter hook H priority
// filter + 10; }'; nft add rule inet T H RULE comment RULE
func (nfConnShares) Set(table string, s connShare) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := inetTable(table)
	same, exists, err := holdsShare(c, t, s)
	if err != nil || same {
		return err
	}
	if exists {
		c.DelTable(t)
	}
	c.AddTable(t)
	set := guestSet(t)
	if err := c.AddSet(set, nil); err != nil {
		return err
	}
	policy := nftables.ChainPolicyAccept
	for _, hook := range connShareHooks {
		ch := c.AddChain(&nftables.Chain{
			Name: hook, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: connShareHooknum[hook], Priority: connSharePriority, Policy: &policy,
		})
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: connShareExprs(s, set), UserData: ruleComment(s)})
	}
	return c.Flush()
}

// holdsShare reports whether table t exists and whether it holds the chains
// of s, each with its one rule.
// Equivalent to: nft list table inet T
func holdsShare(c *nftables.Conn, t *nftables.Table, s connShare) (same, exists bool, err error) {
	if _, err := c.ListTableOfFamily(t.Name, t.Family); isNoEntry(err) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	for _, hook := range connShareHooks {
		ch, err := c.ListChain(t, hook)
		if isNoEntry(err) {
			return false, true, nil
		} else if err != nil {
			return false, true, err
		}
		rules, err := c.GetRules(t, ch)
		if err != nil {
			return false, true, err
		}
		if len(rules) != 1 || !bytes.Equal(rules[0].UserData, ruleComment(s)) {
			return false, true, nil
		}
	}
	return true, true, nil
}

// ruleComment is the comment of the rule of s, as nft keeps comments.
func ruleComment(s connShare) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, s.rule())
}

// connShareExprs compiles the rule of s (see [connShare.rule]) to nf_tables
// expressions, as nft does: the input interface is the bridge; the
// connection is new; the frame's link layer is Ethernet; add its source MAC
// to set, with a connection count (connlimit) that matches once the guest's
// connections, the new one included, are over s.Max; then drop.
func connShareExprs(s connShare, set *nftables.Set) []expr.Any {
	zero := make([]byte, 4)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(s.Bridge)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitNEW), Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint16(unix.ARPHRD_ETHER)},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
		&expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: unix.NFT_DYNSET_OP_ADD,
			Exprs: []expr.Any{&expr.Connlimit{Count: uint32(s.Max), Flags: expr.NFT_CONNLIMIT_F_INV}}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// Teardown implements [ConnShares].
// Equivalent to: nft delete table inet T
func (nfConnShares) Teardown(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	if _, err := c.ListTableOfFamily(table, nftables.TableFamilyINet); isNoEntry(err) {
		return nil
	} else if err != nil {
		return err
	}
	c.DelTable(inetTable(table))
	return c.Flush()
}
