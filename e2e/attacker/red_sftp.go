package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"strings"
)

// Red team attacks on the daemon's side of an SFTP session, from a guest
// that answers in place of the SFTP server.
func init() {
	register("red-sftp-sink", redSFTPSink)
}

// redSFTPSink is an SFTP server that answers the version and the first
// open, with a handle of HANDLE bytes, and then reads every request
// without answering: an audit that waits for answers to forget requests
// keeps them all.
//
//	red-sftp-sink [HANDLE]
func redSFTPSink(args []string) error {
	size := intArg(args, 0, 8000)
	in := bufio.NewReader(os.Stdin)
	out := os.Stdout
	for _, reply := range []func(id uint32) []byte{
		func(uint32) []byte { return sftpPacket(2, 3, nil) }, // SSH_FXP_VERSION 3
		func(id uint32) []byte { return sftpPacket(102, id, sftpStr(strings.Repeat("H", size))) },
	} {
		var head [9]byte
		if _, err := io.ReadFull(in, head[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(head[:4])
		if _, err := io.CopyN(io.Discard, in, int64(n)-5); err != nil {
			return err
		}
		out.Write(reply(binary.BigEndian.Uint32(head[5:9])))
	}
	_, err := io.Copy(io.Discard, in)
	return err
}

// sftpPacket frames an SFTP packet of type typ with id (the version for
// SSH_FXP_VERSION) and body.
func sftpPacket(typ byte, id uint32, body []byte) []byte {
	p := binary.BigEndian.AppendUint32(nil, uint32(5+len(body)))
	p = append(p, typ)
	p = binary.BigEndian.AppendUint32(p, id)
	return append(p, body...)
}

// sftpStr is an SSH string.
func sftpStr(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}
