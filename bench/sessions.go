package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// plainUser is a user whose terminal sessions are not kept (reattach:
// false): figure 8's baseline.
const plainUser = "benchplain"

// keptSessions is figure 8: what keeping terminal sessions costs. The
// keystroke echo round trip of a terminal (a byte typed into `cat`, its
// echo back, through the session layer and its terminal emulator) against
// the same for a user whose sessions are not kept; and the memory each
// detached session holds in the daemon and in the guest's init.
func keptSessions(c client, d *daemon, vm target, n, rounds int) ([]row, error) {
	kept, err := echoRoundTrip(c, vm, benchUser, rounds)
	if err != nil {
		return nil, fmt.Errorf("echo of a kept session: %w", err)
	}
	plain, err := echoRoundTrip(c, vm, plainUser, rounds)
	if err != nil {
		return nil, fmt.Errorf("echo of a plain session: %w", err)
	}
	rows := []row{{
		figure:   fmt.Sprintf("8. keystroke echo round trip in a terminal (median of %d)", rounds),
		vmhost:   fmt.Sprintf("%s kept (p99 %s)", us(median(kept)), us(percentile(kept, 99))),
		baseline: fmt.Sprintf("%s not kept (p99 %s)", us(median(plain)), us(percentile(plain, 99))),
		ratio:    ratio(float64(median(kept)), float64(median(plain))), goal: "under 1 ms more than not kept",
	}}
	daemonPer, initPer, err := detachedMemory(c, d, vm, n)
	if err != nil {
		return rows, fmt.Errorf("memory of detached sessions: %w", err)
	}
	return append(rows, row{
		figure: fmt.Sprintf("8. memory per detached 80x24 session (%d detached)", n),
		vmhost: fmt.Sprintf("%s in vmhostd, %s in the guest's init", kib(daemonPer), kib(initPer)),
		goal:   "under 512 KiB in all",
	}), nil
}

// dialGo connects the Go SSH client to t as login with the client's key.
func dialGo(c client, t target, login string) (*ssh.Client, error) {
	pem, err := os.ReadFile(c.key)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	return ssh.Dial("tcp", "127.0.0.1:"+strconv.Itoa(t.port), &ssh.ClientConfig{
		User: login, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: time.Minute,
	})
}

// echoRoundTrip types one byte at a time into `cat` on a terminal of
// login's guest and times each until its echo comes back.
func echoRoundTrip(c client, t target, login string, rounds int) ([]time.Duration, error) {
	cl, err := dialGo(c, t, login)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return nil, err
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Start("exec cat >/dev/null"); err != nil {
		return nil, err
	}
	buf := make([]byte, 1)
	var ds []time.Duration
	for i := range rounds + 10 {
		key := byte('a' + i%26)
		start := time.Now()
		if _, err := in.Write([]byte{key}); err != nil {
			return nil, err
		}
		for buf[0] = 0; buf[0] != key; {
			if _, err := io.ReadFull(out, buf); err != nil {
				return nil, err
			}
		}
		if i >= 10 { // the first few warm up
			ds = append(ds, time.Since(start))
		}
	}
	in.Write([]byte{3}) // ^C ends cat
	return ds, nil
}

// detachedMemory opens n terminal sessions in vm's guest, drops their
// connections (each is detached and kept) and returns what each costs the
// daemon and the guest's init, in PSS; then it hangs them up.
func detachedMemory(c client, d *daemon, vm target, n int) (daemonPer, initPer int64, err error) {
	initPid, err := guestInit(d, benchUser)
	if err != nil {
		return 0, 0, err
	}
	daemonBefore, initBefore, err := settledPSS(d, initPid)
	if err != nil {
		return 0, 0, err
	}
	for i := range n {
		cl, err := dialGo(c, vm, benchUser)
		if err != nil {
			return 0, 0, err
		}
		err = openShell(cl, ":new")
		cl.Close() // the connection drops: the session is detached
		if err != nil {
			return 0, 0, fmt.Errorf("session %d: %w", i+1, err)
		}
	}
	time.Sleep(time.Second) // the daemon sees every connection gone
	daemonAfter, initAfter, err := settledPSS(d, initPid)
	defer hangUpAll(c, vm)
	if err != nil {
		return 0, 0, err
	}
	return (daemonAfter - daemonBefore) / int64(n), (initAfter - initBefore) / int64(n), nil
}

// openShell starts command (":new", a fresh login shell) on a terminal of
// cl and waits until the shell has written something.
func openShell(cl *ssh.Client, command string) error {
	s, err := cl.NewSession()
	if err != nil {
		return err
	}
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		return err
	}
	out, _ := s.StdoutPipe()
	if err := s.Start(command); err != nil {
		return err
	}
	_, err = out.Read(make([]byte, 256))
	return err
}

// settledPSS returns the PSS of the daemon and of the init initPid after a
// garbage collection settles (twice a second apart, the smaller).
func settledPSS(d *daemon, initPid int) (int64, int64, error) {
	runtime.GC()
	var ds, is []int64
	for range 2 {
		time.Sleep(500 * time.Millisecond)
		dp, err := pss(d.cmd.Process.Pid)
		if err != nil {
			return 0, 0, err
		}
		ip, err := pss(initPid)
		if err != nil {
			return 0, 0, err
		}
		ds, is = append(ds, dp), append(is, ip)
	}
	return slices.Min(ds), slices.Min(is), nil
}

// guestInit returns the pid of the init of owner's own guest.
func guestInit(d *daemon, owner string) (int, error) {
	states, err := d.guests()
	if err != nil {
		return 0, err
	}
	for _, st := range states {
		if st.Owner == owner && st.Name == owner && st.InitPid > 1 && alive(st.InitPid, st.InitStart) {
			return st.InitPid, nil
		}
	}
	return 0, errors.New("the guest " + owner + " is not running")
}

// hangUpAll ends the kept sessions of the bench user's guest: `:kill N`
// for the numbers `:ls` would list, until one is refused past the last.
func hangUpAll(c client, vm target) {
	cl, err := dialGo(c, vm, benchUser)
	if err != nil {
		return
	}
	defer cl.Close()
	for n := 1; n <= 1000; n++ {
		s, err := cl.NewSession()
		if err != nil {
			return
		}
		s.RequestPty("xterm", 24, 80, ssh.TerminalModes{})
		out, _ := s.CombinedOutput(":kill " + strconv.Itoa(n))
		s.Close()
		if len(out) == 0 {
			return
		}
	}
}

// us formats a duration in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

// kib formats bytes in KiB.
func kib(b int64) string { return fmt.Sprintf("%d KiB", b>>10) }
