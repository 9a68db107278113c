package netplumb

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantPortRules6 are the IPv6 rules of the port of the guest at 10.250.9.7
// and fd00:db8:9::7 (link-local fe80::76:aff:fefa:907), as nft would print
// them with values in hex.
var wantPortRules6 = []string{
	"ether type 86dd ip6 saddr != fd000db8000900000000000000000007 ip6 saddr != fe8000000000000000760afffefa0907 ip6 saddr != 00000000000000000000000000000000 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 85 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 86 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 89 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 87 ip6 saddr 00000000000000000000000000000000 icmpv6 target fd000db8000900000000000000000007 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 87 ip6 saddr 00000000000000000000000000000000 icmpv6 target fe8000000000000000760afffefa0907 accept",
	"ether type 86dd ip6 saddr 00000000000000000000000000000000 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 88 icmpv6 target fd000db8000900000000000000000007 ip6 length 0018 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 88 icmpv6 target fd000db8000900000000000000000007 ip6 length 0020 icmpv6 option 020102760afa0907 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 88 icmpv6 target fe8000000000000000760afffefa0907 ip6 length 0018 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 88 icmpv6 target fe8000000000000000760afffefa0907 ip6 length 0020 icmpv6 option 020102760afa0907 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 88 drop",
	"ether type 86dd meta l4proto 3a icmpv6 type 87 ip6 length 0018 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 87 ip6 length 0020 icmpv6 option 010102760afa0907 accept",
	"ether type 86dd meta l4proto 3a icmpv6 type 87 drop",
	"ether type 86dd meta l4proto 11 udp sport 0223 drop",
	"ether type 86dd accept",
}

// TestPortRules6 checks that a guest with IPv6 gets the IPv4 rules, then the
// IPv6 ones, then the final drop.
func TestPortRules6(t *testing.T) {
	ip, ip6 := netip.MustParseAddr("10.250.9.7"), netip.MustParseAddr("fd00:db8:9::7")
	var got []string
	for _, r := range portRules(GuestMAC(ip), ip, ip6) {
		got = append(got, r.String())
	}
	want := append(append(append([]string{}, wantPortRules[:len(wantPortRules)-1]...), wantPortRules6...), "drop")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("portRules(%s, %s) differ (-want +got):\n%s", ip, ip6, diff)
	}
}
