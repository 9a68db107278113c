package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// IPv6 attacks and probes: ordinary sockets over IPv6, and forged IPv6
// packets and NDP on eth0's packet socket (see net6_frames.go).
func init() {
	register("tcp6-ask", tcp6Ask)
	register("aaaa", aaaa)
	register("udp6-forged", udp6Forged)
	register("udp6-count", udp6Count)
	register("na-spoof", naSpoof)
	register("ra6", ra6)
}

// tcp6Ask connects to [ADDR]:PORT over IPv6 (a name is looked up with the
// guest's resolver), waiting at most SECONDS, sends an HTTP request line,
// and reports the first line the server sends (answer=LINE) or why there was
// none (error=...).
//
//	tcp6-ask HOST:PORT [SECONDS]
func tcp6Ask(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: tcp6-ask HOST:PORT [SECONDS]")
	}
	patience := time.Duration(intArg(args, 1, 5)) * time.Second
	c, err := net.DialTimeout("tcp6", args[0], patience)
	if err != nil {
		report("error", strings.ReplaceAll(err.Error(), "\n", " "))
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(patience))
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		report("error", err)
		return nil
	}
	report("answer", strings.TrimSpace(line))
	return nil
}

// aaaa looks NAME up for IPv6 addresses with the guest's resolver
// (/etc/resolv.conf) and reports them (aaaa=A,B or error=...).
//
//	aaaa NAME
func aaaa(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: aaaa NAME")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true}
	ips, err := r.LookupIP(ctx, "ip6", args[0])
	if err != nil {
		report("error", err)
		return nil
	}
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	report("aaaa", strings.Join(out, ","))
	return nil
}

// udp6Forged sends IPv6 UDP datagrams with a forged source address from
// eth0, to the gateway's MAC address.
//
//	udp6-forged [SRC]:PORT [DST]:PORT dns|TEXT [COUNT]
//
// The payload is a DNS query for alice.vmhost (dns) or TEXT. Reports sent=N.
func udp6Forged(args []string) error {
	if len(args) < 3 {
		return errors.New("usage: udp6-forged [SRC]:PORT [DST]:PORT dns|TEXT [COUNT]")
	}
	src, err1 := netip.ParseAddrPort(args[0])
	dst, err2 := netip.ParseAddrPort(args[1])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	payload := []byte(args[2])
	if args[2] == "dns" {
		payload = dnsQuery("alice.vmhost")
	}
	ifc, gwMAC, err := eth0AndGateway6()
	if err != nil {
		return err
	}
	f := ethFrame(gwMAC, ifc.HardwareAddr, 0, ethIPv6, udp6Packet(src, dst, payload))
	return sendRepeated(ifc, [][]byte{f}, intArg(args, 3, 3))
}

// udp6Count counts, without answering, the datagrams that reach a UDP port
// of IPv6 for SECONDS, and reports how many came (count=N).
//
//	udp6-count PORT SECONDS
func udp6Count(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: udp6-count PORT SECONDS")
	}
	port, _ := strconv.Atoi(args[0])
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: port})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(time.Duration(intArg(args, 1, 10)) * time.Second))
	n := 0
	buf := make([]byte, 2048)
	for {
		if _, _, err := c.ReadFromUDP(buf); err != nil {
			break
		}
		n++
	}
	report("count", n)
	return nil
}

// naSpoof announces with unsolicited, overriding neighbour advertisements,
// to all nodes and to the gateway, that TARGET is at eth0's MAC address.
//
//	na-spoof TARGET [COUNT]
func naSpoof(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: na-spoof TARGET [COUNT]")
	}
	target, err := netip.ParseAddr(args[0])
	if err != nil {
		return err
	}
	ifc, gwMAC, err := eth0AndGateway6()
	if err != nil {
		return err
	}
	na := neighborAdvert(target, target, ifc.HardwareAddr)
	return sendRepeated(ifc, [][]byte{
		ethFrame(allNodesMAC, ifc.HardwareAddr, 0, ethIPv6, na),
		ethFrame(gwMAC, ifc.HardwareAddr, 0, ethIPv6, na),
	}, intArg(args, 1, 3))
}

// ra6 sends router advertisements from eth0's link-local address to all
// nodes, offering itself as default router and PREFIX/64 for
// autoconfiguration, with MARKER in an option receivers skip.
//
//	ra6 PREFIX MARKER [COUNT]
func ra6(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: ra6 PREFIX MARKER [COUNT]")
	}
	prefix, err := netip.ParseAddr(args[0])
	if err != nil {
		return err
	}
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		return err
	}
	ra := routerAdvert(linkLocal(ifc.HardwareAddr), ifc.HardwareAddr, prefix, args[1])
	return sendRepeated(ifc, [][]byte{ethFrame(allNodesMAC, ifc.HardwareAddr, 0, ethIPv6, ra)}, intArg(args, 2, 3))
}
