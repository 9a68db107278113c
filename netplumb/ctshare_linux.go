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

// defaultConnShares returns the real [ConnShares].
func defaultConnShares() ConnShares { return nfConnShares{} }

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
// nft add ct timeout inet T tcp-ipv4-closed-5s '{ protocol tcp; l3proto ip;
// policy = { time_wait: 5, close: 5 }; }' (and ipv6); and for each hook H:
// nft add chain inet T H '{ type filter hook H priority filter + 10; }'; nft
// add rule inet T H RULE comment RULE (each rule)
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
	for v, l3 := range closedTCPL3 {
		c.AddObj(&nftables.NamedObj{Table: t, Name: closedTCPObject(v), Type: nftables.ObjTypeCtTimeout, Obj: closedTCPPolicy(l3)})
	}
	policy := nftables.ChainPolicyAccept
	for _, hook := range connShareHooks {
		ch := c.AddChain(&nftables.Chain{
			Name: hook, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: connShareHooknum[hook], Priority: connSharePriority, Policy: &policy,
		})
		for i, exprs := range connShareExprs(s, set) {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs, UserData: ruleComment(s.rules()[i])})
		}
	}
	return c.Flush()
}

// closedTCPL3 gives the nf_tables protocol of each IP version of
// [connShare.rules].
var closedTCPL3 = map[string]uint8{"ipv4": unix.NFPROTO_IPV4, "ipv6": unix.NFPROTO_IPV6}

// closedTCPPolicy returns the ct timeout object of TCP connections of l3:
// the timeouts of closed connections, and the host's own for the other
// states, which the kernel fills in for the states an object leaves out.
//
// expr.CtTimeout sends its package's default map for the states a policy
// leaves out, and those differ from the kernel's (12 hours for an
// established connection instead of 5 days), so the map is emptied first;
// it merges the policy into that map, so Set runs one at a time.
func closedTCPPolicy(l3 uint8) *expr.CtTimeout {
	expr.CtStateTCPTimeoutDefaults = expr.CtStatePolicyTimeout{}
	return &expr.CtTimeout{L3Proto: uint16(l3), L4Proto: unix.IPPROTO_TCP, Policy: expr.CtStatePolicyTimeout{
		expr.CtStateTCPTIMEWAIT: closedTCPTimeout, expr.CtStateTCPCLOSE: closedTCPTimeout,
	}}
}

// holdsShare reports whether table t exists and whether it holds the chains
// of s, with their rules.
// Equivalent to: nft list table inet T
func holdsShare(c *nftables.Conn, t *nftables.Table, s connShare) (same, exists bool, err error) {
	if _, err := c.ListTableOfFamily(t.Name, t.Family); isNoEntry(err) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	want := s.rules()
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
		if len(rules) != len(want) {
			return false, true, nil
		}
		for i, r := range rules {
			if !bytes.Equal(r.UserData, ruleComment(want[i])) {
				return false, true, nil
			}
		}
	}
	return true, true, nil
}

// ruleComment is the comment of a rule, as nft keeps comments.
func ruleComment(rule string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, rule)
}

// connShareExprs compiles the rules of s (see [connShare.rules]) to
// nf_tables expressions, as nft does.
func connShareExprs(s connShare, set *nftables.Set) [][]expr.Any {
	all := [][]expr.Any{countExprs(s, set)}
	for _, v := range []string{"ipv4", "ipv6"} {
		all = append(all, closedTCPExprs(s.Bridge, v))
	}
	return all
}

// newFromBridge returns the expressions that match a new connection whose
// packet came in by bridge.
func newFromBridge(bridge string) []expr.Any {
	zero := make([]byte, 4)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(bridge)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitNEW), Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
	}
}

// countExprs is the first rule: a new connection from the bridge whose frame
// is Ethernet adds its source MAC to set, with a connection count
// (connlimit) that matches once the guest's connections, the new one
// included, are over s.Max; then drop.
func countExprs(s connShare, set *nftables.Set) []expr.Any {
	return append(newFromBridge(s.Bridge),
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint16(unix.ARPHRD_ETHER)},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
		&expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: unix.NFT_DYNSET_OP_ADD,
			Exprs: []expr.Any{&expr.Connlimit{Count: uint32(s.Max), Flags: expr.NFT_CONNLIMIT_F_INV}}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	)
}

// closedTCPExprs is the rule of IP version v that gives a new TCP
// connection from the bridge the ct timeout object of closed ones.
func closedTCPExprs(bridge, v string) []expr.Any {
	return append(newFromBridge(bridge),
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{closedTCPL3[v]}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Objref{Type: unix.NFT_OBJECT_CT_TIMEOUT, Name: closedTCPObject(v)},
	)
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
