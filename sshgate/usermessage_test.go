package sshgate

import (
	"fmt"
	"testing"

	"vmhost/netplumb"
)

// TestOpenErrorUserMessage: a guest that cannot start because the host's
// guest network is full tells the user so, without the host's names (the
// bridge, the veth) that the error's chain carries for the log.
func TestOpenErrorUserMessage(t *testing.T) {
	ts, key := aliceServer(t)
	ts.guests.openErr = fmt.Errorf("starting guest alice: attaching guest alice to vmhost0: plugging vh0123 into vmhost0: %w",
		netplumb.ErrBridgeFull)
	res := ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo never"}})
	wantResult(t, "ssh alice with the guest network full", res, sshResult{
		stderr: "vmhost: the host's guest network is full: at most 1023 running guests per bridge; " +
			"log in again once another guest has stopped\r\n",
		code: 1,
	})
}
