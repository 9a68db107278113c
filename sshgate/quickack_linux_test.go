package sshgate

import (
	"io"
	"net"
	"testing"
)

// TestQuickAckConn checks that a TCP connection is wrapped, passes its data
// through, and stops asking for quick acknowledgements after the handshake's
// reads; other connections are left as they are.
func TestQuickAckConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		for i := range quickAckReads + 10 {
			c.Write([]byte{byte(i)})
		}
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	qc, ok := withQuickAck(nc).(*quickAckConn)
	if !ok {
		t.Fatalf("withQuickAck(%T) did not wrap the TCP connection", nc)
	}
	b1 := make([]byte, 1) // a read a byte, as the version line is read
	for i := range quickAckReads + 10 {
		if _, err := io.ReadFull(qc, b1); err != nil || b1[0] != byte(i) {
			t.Fatalf("read %d through the wrapper: %v, %d; want %d", i, err, b1[0], byte(i))
		}
	}
	if qc.reads != quickAckReads {
		t.Errorf("asked for quick acknowledgements on %d reads, want the first %d only", qc.reads, quickAckReads)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if withQuickAck(a) != a {
		t.Errorf("withQuickAck wrapped a %T, which is not TCP", a)
	}
}
