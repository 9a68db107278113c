package guest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"vmhost/protocol"
)

// KeptSession is a terminal session a guest's init keeps across the
// daemon's connections (SpawnRequest.Keep); see protocol.KeptSession.
type KeptSession = protocol.KeptSession

// KeptSessions lists the terminal sessions the guest's init keeps.
func (r running) KeptSessions(ctx context.Context) ([]KeptSession, error) {
	return keptVia(ctx, r.sock)
}

// Reattach hands kept session id over, as Spawn hands a new process.
func (r running) Reattach(ctx context.Context, id uint64) (Process, error) {
	return reattachVia(ctx, r.sock, id, r.initDone)
}

// keptVia asks the init listening on sock for its kept sessions, and
// checks the answer.
func keptVia(ctx context.Context, sock string) ([]KeptSession, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "unixpacket", sock)
	if err != nil {
		return nil, fmt.Errorf("reaching the guest's init: %w", err)
	}
	c := nc.(*net.UnixConn)
	defer c.Close()
	c.SetDeadline(time.Now().Add(dialTimeout))
	if err := protocol.SendMessage(c, protocol.Request{Op: protocol.OpSessions}); err != nil {
		return nil, err
	}
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(c, &rep)
	protocol.CloseAll(fds)
	if err == nil && rep.Error != "" {
		err = errors.New(guestText(rep.Error))
	}
	if err == nil {
		err = checkKept(rep.Sessions)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the guest's kept sessions: %w", err)
	}
	for i := range rep.Sessions {
		rep.Sessions[i].Command = guestText(rep.Sessions[i].Command)
	}
	return rep.Sessions, nil
}

// checkKept wants a list the init could have made: bounded, with IDs and
// pids in range and times not before the epoch.
func checkKept(ss []KeptSession) error {
	if len(ss) > protocol.MaxKept {
		return fmt.Errorf("guest init listed %d kept sessions, at most %d are kept", len(ss), protocol.MaxKept)
	}
	for _, s := range ss {
		if s.ID == 0 || s.Started < 0 || s.Detached < 0 {
			return fmt.Errorf("guest init listed an impossible kept session %+v", s)
		}
		if err := checkPid(s.Pid); err != nil {
			return err
		}
	}
	return nil
}
