package main

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Floods of what makes the daemon open descriptors: UDP exchanges with a
// published port, DNS connections.
func init() {
	register("udp-flood", udpFlood)
	register("tcp-hold", tcpHold)
}

// udpFlood sends one datagram to DST:PORT from each of COUNT fresh sockets,
// so from COUNT source ports, and reports sent=N.
//
//	udp-flood DST:PORT COUNT
func udpFlood(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: udp-flood DST:PORT COUNT")
	}
	sent := 0
	for range intArg(args, 1, 1000) {
		c, err := net.Dial("udp4", args[0])
		if err != nil {
			return err
		}
		if _, err := c.Write([]byte("flood")); err == nil {
			sent++
		}
		c.Close()
	}
	report("sent", sent)
	return nil
}

// tcpHold keeps COUNT connections to DST:PORT open for SECONDS: each one
// closed by the other side is opened again after 100ms. It reports how many
// connections it opened (connects=N) and how many were open at the end
// (open=N).
//
//	tcp-hold DST:PORT COUNT SECONDS
func tcpHold(args []string) error {
	if len(args) < 3 {
		return errors.New("usage: tcp-hold DST:PORT COUNT SECONDS")
	}
	raiseNoFile()
	end := time.Now().Add(time.Duration(intArg(args, 2, 10)) * time.Second)
	var connects, open atomic.Int64
	var wg sync.WaitGroup
	for range intArg(args, 1, 100) {
		wg.Go(func() {
			for time.Now().Before(end) {
				c, err := net.DialTimeout("tcp4", args[0], time.Second)
				if err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				connects.Add(1)
				c.SetReadDeadline(end)
				_, err = c.Read(make([]byte, 1))
				c.Close()
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					open.Add(1) // held to the end
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	report("connects", connects.Load())
	report("open", open.Load())
	return nil
}

// raiseNoFile raises the soft limit of open files to the hard one.
func raiseNoFile() {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		lim.Cur = lim.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
}
