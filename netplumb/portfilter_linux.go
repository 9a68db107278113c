package netplumb

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Names inside the bridge filter table.
const (
	baseChain = "prerouting" // the hooked chain
	portMap   = "ports"      // port name → jump to the port's chain
)

// basePriority runs the base chain early in bridge prerouting. Every
// prerouting hook runs before the bridge learns the frame's source MAC
// (br_handle_frame_finish) and before it forwards the frame.
var basePriority = nftables.ChainPriorityRef(-300)

// nfTables is the real [PortFilter]: nf_tables over netlink, in the network
// namespace of the daemon.
type nfTables struct{}

// table returns the bridge family table called name.
func bridgeTable(name string) *nftables.Table {
	return &nftables.Table{Name: name, Family: nftables.TableFamilyBridge}
}

// portSet returns the verdict map of table.
func portSet(t *nftables.Table) *nftables.Set {
	return &nftables.Set{Table: t, Name: portMap, IsMap: true, KeyType: nftables.TypeIFName, DataType: nftables.TypeVerdict}
}

// Setup implements [PortFilter].
// Equivalent to: nft add table bridge T; nft add map bridge T ports '{ type
// ifname : verdict; }'; nft add chain bridge T prerouting '{ type filter hook
// prerouting priority -300; }'; nft flush chain bridge T prerouting; nft add
// rule bridge T prerouting iifname vmap @ports
func (nfTables) Setup(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(bridgeTable(table))
	set := portSet(t)
	if err := c.AddSet(set, nil); err != nil {
		return err
	}
	policy := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{
		Name: baseChain, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPrerouting, Priority: basePriority, Policy: &policy,
	})
	c.FlushChain(ch)
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID, DestRegister: 0, IsDestRegSet: true},
	}})
	return c.Flush()
}

// SetPort implements [PortFilter].
// Equivalent to: nft add chain bridge T port-P; nft flush chain bridge T
// port-P; nft add rule bridge T port-P RULE (each); nft add element bridge T
// ports '{ P : jump port-P }'
func (nfTables) SetPort(table, port string, rules []portRule) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := bridgeTable(table)
	ch := c.AddChain(&nftables.Chain{Name: portChain(port), Table: t})
	c.FlushChain(ch)
	for _, r := range rules {
		exprs, err := ruleExprs(r)
		if err != nil {
			return err
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	}
	jump := nftables.SetElement{Key: ifname(port), VerdictData: &expr.Verdict{Kind: expr.VerdictJump, Chain: ch.Name}}
	if err := c.SetAddElements(portSet(t), []nftables.SetElement{jump}); err != nil {
		return err
	}
	return c.Flush()
}

// RemovePort implements [PortFilter]. The element and the chain are made
// and removed together, so a transaction that finds either missing (ENOENT)
// finds the port gone.
// Equivalent to: nft delete element bridge T ports '{ P }'; nft delete chain
// bridge T port-P
func (nfTables) RemovePort(table, port string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := bridgeTable(table)
	if err := c.SetDeleteElements(portSet(t), []nftables.SetElement{{Key: ifname(port)}}); err != nil {
		return err
	}
	ch := &nftables.Chain{Name: portChain(port), Table: t}
	c.FlushChain(ch)
	c.DelChain(ch)
	if err := c.Flush(); err != nil && !isNoEntry(err) {
		return err
	}
	return nil
}

// Ports implements [PortFilter].
// Equivalent to: nft list map bridge T ports
func (nfTables) Ports(table string) ([]string, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, err
	}
	elems, err := c.GetSetElements(portSet(bridgeTable(table)))
	if err != nil {
		return nil, err
	}
	ports := make([]string, 0, len(elems))
	for _, e := range elems {
		ports = append(ports, strings.TrimRight(string(e.Key), "\x00"))
	}
	return ports, nil
}

// Teardown implements [PortFilter].
// Equivalent to: nft delete table bridge T
func (nfTables) Teardown(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	if _, err := c.ListTableOfFamily(table, nftables.TableFamilyBridge); isNoEntry(err) {
		return nil
	} else if err != nil {
		return err
	}
	c.DelTable(bridgeTable(table))
	return c.Flush()
}

// portChain names the chain of a port.
func portChain(port string) string { return "port-" + port }

// ifname is name as the kernel compares interface names: IFNAMSIZ bytes,
// padded with zeros.
func ifname(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

// fieldAt says where a field is in a frame: its header, offset and length.
var fieldAt = map[field]struct {
	base        expr.PayloadBase
	offset, len uint32
}{
	etherSaddr:    {expr.PayloadBaseLLHeader, 6, 6},
	etherType:     {expr.PayloadBaseLLHeader, 12, 2},
	ipProtocol:    {expr.PayloadBaseNetworkHeader, 9, 1},
	ipSaddr:       {expr.PayloadBaseNetworkHeader, 12, 4},
	ipDaddr:       {expr.PayloadBaseNetworkHeader, 16, 4},
	udpSport:      {expr.PayloadBaseTransportHeader, 0, 2},
	arpHtype:      {expr.PayloadBaseNetworkHeader, 0, 2},
	arpPtype:      {expr.PayloadBaseNetworkHeader, 2, 2},
	arpHlen:       {expr.PayloadBaseNetworkHeader, 4, 1},
	arpPlen:       {expr.PayloadBaseNetworkHeader, 5, 1},
	arpSaddrEther: {expr.PayloadBaseNetworkHeader, 8, 6},
	arpSaddrIP:    {expr.PayloadBaseNetworkHeader, 14, 4},
	ip6Plen:       {expr.PayloadBaseNetworkHeader, 4, 2},
	ip6Saddr:      {expr.PayloadBaseNetworkHeader, 8, 16},
	l4Proto:       {metaBase, 0, 1},
	icmp6Type:     {expr.PayloadBaseTransportHeader, 0, 1},
	ndpTarget:     {expr.PayloadBaseTransportHeader, 8, 16},
	ndpFirstOpt:   {expr.PayloadBaseTransportHeader, 24, 8},
}

// metaBase marks a field that is packet metadata, not a header's bytes:
// meta l4proto, the protocol of the transport header nf_tables found.
const metaBase expr.PayloadBase = 0xff

// ruleExprs compiles r to nf_tables expressions: for each match, load the
// field into register 1, mask it, compare; then the verdict.
func ruleExprs(r portRule) ([]expr.Any, error) {
	var exprs []expr.Any
	for _, m := range r.Matches {
		at, ok := fieldAt[m.Field]
		if !ok || int(at.len) != len(m.Value) || (m.Mask != nil && len(m.Mask) != len(m.Value)) {
			return nil, fmt.Errorf("bad match %q %x", m.Field, m.Value)
		}
		exprs = append(exprs, load(at.base, at.offset, at.len))
		if m.Mask != nil {
			exprs = append(exprs, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: at.len, Mask: m.Mask, Xor: make([]byte, at.len)})
		}
		op := expr.CmpOpEq
		if m.Neq {
			op = expr.CmpOpNeq
		}
		exprs = append(exprs, &expr.Cmp{Op: op, Register: 1, Data: m.Value})
	}
	kind := map[string]expr.VerdictKind{"accept": expr.VerdictAccept, "drop": expr.VerdictDrop}
	v, ok := kind[r.Verdict]
	if !ok {
		return nil, fmt.Errorf("bad verdict %q", r.Verdict)
	}
	return append(exprs, &expr.Verdict{Kind: v}), nil
}

// load puts a field into register 1: meta l4proto for metaBase, else the
// bytes at offset of base.
func load(base expr.PayloadBase, offset, len uint32) expr.Any {
	if base == metaBase {
		return &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}
	}
	return &expr.Payload{DestRegister: 1, Base: base, Offset: offset, Len: len}
}
