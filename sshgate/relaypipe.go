package sshgate

import (
	"errors"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// channelEnd is one side of a relayed channel: the channel and its
// requests.
type channelEnd struct {
	ch   ssh.Channel
	reqs <-chan *ssh.Request
}

// requestCheck returns why the relay refuses a channel request of the
// client, or "" to pass it on.
type requestCheck func(req *ssh.Request) string

// pipe carries a channel between the client's end and the backend's until
// both are closed: data and extended data (stderr) apart, each EOF passed
// on once its side's streams are drained, and requests both ways in order
// with their answers. queued are client requests read before the backend
// channel was open; they go first. Writes block on the other side's window,
// so nothing is buffered beyond the ssh package's windows.
func (l *relayLink) pipe(client, backend channelEnd, queued []*ssh.Request, check requestCheck) {
	var wg sync.WaitGroup
	wg.Go(l.c.guard("relay to the backend", func() { l.half(backend.ch, client, queued, check) }))
	l.half(client.ch, backend, nil, nil) // exit-status, exit-signal, eow@openssh.com...
	wg.Wait()
}

// half relays what src sends to dst, data, extended data and requests
// (queued first), and closes dst once src is closed and all it sent was
// passed on.
func (l *relayLink) half(dst ssh.Channel, src channelEnd, queued []*ssh.Request, check requestCheck) {
	copied := make(chan struct{})
	go l.c.guard("relay channel data", func() {
		defer close(copied)
		copyStreams(dst, src.ch)
	})()
	relayRequests(queued, src.reqs, dst, check)
	<-copied
	dst.Close()
}

// copyStreams copies src's data and extended data to dst, then passes the
// EOF on.
func copyStreams(dst, src ssh.Channel) {
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(dst.Stderr(), src.Stderr()) })
	io.Copy(dst, src)
	wg.Wait()
	dst.CloseWrite()
}

// relayRequests sends queued, then every request of reqs, on dst, and
// answers each with dst's answer, until reqs is closed. A request check
// refuses is answered with failure and not sent.
func relayRequests(queued []*ssh.Request, reqs <-chan *ssh.Request, dst ssh.Channel, check requestCheck) {
	for _, req := range queued {
		relayRequest(req, dst, check)
	}
	for req := range reqs {
		relayRequest(req, dst, check)
	}
}

// relayRequest sends req on dst and answers it as dst did.
func relayRequest(req *ssh.Request, dst ssh.Channel, check requestCheck) {
	ok := false
	if check == nil || check(req) == "" {
		var err error
		ok, err = dst.SendRequest(req.Type, req.WantReply, req.Payload)
		if err != nil && !errors.Is(err, io.EOF) {
			ok = false
		}
	}
	if req.WantReply {
		req.Reply(ok, nil)
	}
}

// openOn opens a channel of nch's type and data on conn and accepts nch to
// match; when conn refuses, nch is refused with conn's reason. The caller
// pipes the two ends.
func openOn(conn ssh.Conn, nch ssh.NewChannel) (near, far channelEnd, err error) {
	ch, reqs, err := conn.OpenChannel(nch.ChannelType(), nch.ExtraData())
	if err != nil {
		rejectLike(nch, err)
		return channelEnd{}, channelEnd{}, err
	}
	far = channelEnd{ch, reqs}
	nearCh, nearReqs, err := nch.Accept()
	if err != nil {
		ch.Close()
		go ssh.DiscardRequests(reqs)
		return channelEnd{}, channelEnd{}, err
	}
	return channelEnd{nearCh, nearReqs}, far, nil
}

// rejectLike refuses nch as err, a refusal from the other side, says.
func rejectLike(nch ssh.NewChannel, err error) {
	var oe *ssh.OpenChannelError
	if errors.As(err, &oe) {
		nch.Reject(oe.Reason, clip(oe.Message, maxLogError))
		return
	}
	nch.Reject(ssh.ConnectionFailed, clip(userMessage(err), maxLogError))
}
