package main

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// Red team attacks on the gateway's DNS server from a guest.
func init() {
	register("red-dns-flood", redDNSFlood)
	register("red-dns-rate", redDNSRate)
}

// redDNSFlood sends DNS queries for a guest name to DST:53 from one socket
// as fast as it can for SECONDS, reading no answer, in WORKERS goroutines.
// It reports sent=N.
//
//	red-dns-flood DST:PORT SECONDS [WORKERS]
func redDNSFlood(args []string) error {
	secs, workers := intArg(args, 1, 5), intArg(args, 2, 4)
	q := dnsQuery("alice.vmhost")
	done := make(chan int)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for range workers {
		go func() {
			n := 0
			c, err := net.Dial("udp4", args[0])
			if err != nil {
				done <- 0
				return
			}
			defer c.Close()
			rc, _ := c.(*net.UDPConn).SyscallConn()
			for time.Now().Before(deadline) {
				for range 256 {
					rc.Write(func(fd uintptr) bool {
						if _, err := unix.Write(int(fd), q); err == nil {
							n++
						}
						return true
					})
				}
			}
			done <- n
		}()
	}
	sent := 0
	for range workers {
		sent += <-done
	}
	report("sent", sent)
	return nil
}

// redDNSRate sends COUNT queries for a guest name to DST:PORT over SECONDS
// from one socket, and counts the answers that come back meanwhile and
// for a second after. It reports sent=N and answered=N.
//
//	red-dns-rate DST:PORT COUNT SECONDS
func redDNSRate(args []string) error {
	count, secs := intArg(args, 1, 4000), intArg(args, 2, 2)
	c, err := net.Dial("udp4", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	answered := make(chan int)
	go func() {
		n := 0
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				answered <- n
				return
			}
			n++
		}
	}()
	q := dnsQuery("alice.vmhost")
	gap := time.Duration(secs) * time.Second / time.Duration(count)
	sent := 0
	start := time.Now()
	for i := range count {
		if _, err := c.Write(q); err == nil {
			sent++
		}
		if d := time.Until(start.Add(time.Duration(i+1) * gap)); d > 0 {
			time.Sleep(d)
		}
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	report("sent", sent)
	report("answered", <-answered)
	return nil
}
