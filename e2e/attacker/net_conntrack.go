package main

import (
	"errors"
	"io"
	"net"
	"strconv"
	"time"
)

// Floods of the host's connection tracking table: many real flows from one
// guest, through the host.
func init() {
	register("ct-flood", ctFlood)
}

// ctFlood opens real flows to HOST, each a new entry in the host's
// conntrack table: TCPCOUNT TCP connections to HOST:TCPPORT, one after
// another, each read to its end and closed; then one UDP datagram to each of
// UDPCOUNT ports of HOST from 20000 on, from as many sockets. It reports
// how many TCP connections it made (tcp_connected=N) and how many
// datagrams it sent (udp_sent=N).
//
//	ct-flood HOST TCPPORT TCPCOUNT UDPCOUNT
func ctFlood(args []string) error {
	if len(args) < 4 {
		return errors.New("usage: ct-flood HOST TCPPORT TCPCOUNT UDPCOUNT")
	}
	host := args[0]
	connected := 0
	for range intArg(args, 2, 100) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, args[1]), 2*time.Second)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, c)
		c.Close()
		connected++
	}
	sent := 0
	for i := range intArg(args, 3, 1000) {
		c, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(20000+i)))
		if err != nil {
			return err
		}
		if _, err := c.Write([]byte("flow")); err == nil {
			sent++
		}
		c.Close()
	}
	report("tcp_connected", connected)
	report("udp_sent", sent)
	return nil
}
