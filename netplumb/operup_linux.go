package netplumb

import (
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// operUpTimeout bounds the wait for a link the kernel has not yet marked as
// running.
const operUpTimeout = 2 * time.Second

// waitOperUp waits until the kernel has made the link called name, in the
// network namespace ns that h works in (netns.None() for the daemon's),
// operational: until then (a few milliseconds after it comes up) the link
// drops what it is given to send, such as a guest's first packets. It
// listens to the kernel's link messages rather than asking again and again.
// Equivalent to: ip -n NS monitor link, until NAME says state UP
func waitOperUp(h *netlink.Handle, ns netns.NsHandle, name string) error {
	s, err := nl.SubscribeAt(ns, netns.None(), unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
	if err != nil {
		return fmt.Errorf("watching the state of %s: %w", name, err)
	}
	defer s.Close()
	l, err := h.LinkByName(name) // after subscribing: no change is missed
	if err != nil {
		return fmt.Errorf("looking for %s: %w", name, err)
	}
	if l.Attrs().OperState == netlink.OperUp {
		return nil
	}
	deadline := time.Now().Add(operUpTimeout)
	for {
		up, err := awaitOperUp(s, l.Attrs().Index, deadline)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return fmt.Errorf("%s is not up after %v (state %s)", name, operUpTimeout, operState(h, name))
		case err != nil:
			return fmt.Errorf("watching the state of %s: %w", name, err)
		case up:
			return nil
		}
	}
}

// awaitOperUp receives the next link messages of s, waiting until deadline
// at most (then EAGAIN), and reports whether one says the link index is up.
// Only the kernel's messages count: a process of the namespace may send to
// the socket too.
func awaitOperUp(s *nl.NetlinkSocket, index int, deadline time.Time) (bool, error) {
	left := time.Until(deadline)
	if left <= 0 {
		return false, unix.EAGAIN
	}
	tv := unix.NsecToTimeval(left.Nanoseconds())
	if err := s.SetReceiveTimeout(&tv); err != nil {
		return false, err
	}
	msgs, from, err := s.Receive()
	if err != nil || from.Pid != nl.PidKernel {
		return false, err
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg ||
			int(nl.DeserializeIfInfomsg(m.Data).Index) != index {
			continue
		}
		hdr := unix.NlMsghdr(m.Header)
		if l, err := netlink.LinkDeserialize(&hdr, m.Data); err == nil && l.Attrs().OperState == netlink.OperUp {
			return true, nil
		}
	}
	return false, nil
}

// operState is the state of the link called name now, for messages.
func operState(h *netlink.Handle, name string) string {
	l, err := h.LinkByName(name)
	if err != nil {
		return "unknown: " + err.Error()
	}
	return l.Attrs().OperState.String()
}
