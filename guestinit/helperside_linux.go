package guestinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// initPipes is a helper child's side of its pipes to the init.
type initPipes struct {
	in  *os.File
	dec *json.Decoder
	out *os.File
}

// openInitPipes opens the pipes a helper child is started with, closed on
// exec, with timeout for everything said on them. The caller has made the
// process non-dumpable first, so that no guest process takes them.
func openInitPipes(timeout time.Duration) (*initPipes, error) {
	for _, fd := range []int{helperInFD, helperOutFD} {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			return nil, fmt.Errorf("using descriptor %d: %w", fd, err)
		}
	}
	p := &initPipes{in: os.NewFile(helperInFD, "from-init"), out: os.NewFile(helperOutFD, "to-init")}
	deadline := time.Now().Add(timeout)
	p.in.SetReadDeadline(deadline)
	p.out.SetWriteDeadline(deadline)
	p.dec = json.NewDecoder(io.LimitReader(p.in, protocol.MaxMessage))
	return p, nil
}

// request reads the init's request.
func (p *initPipes) request() (protocol.Request, error) {
	var req protocol.Request
	if err := p.dec.Decode(&req); err != nil {
		return req, fmt.Errorf("reading the init's request: %w", err)
	}
	return req, nil
}

// answer sends rep to the init.
func (p *initPipes) answer(rep helperReply) error {
	return json.NewEncoder(p.out).Encode(rep)
}

// waitTaken waits until the init has taken the descriptors of the answer:
// it closes the request pipe then.
func (p *initPipes) waitTaken() error {
	_, err := io.Copy(io.Discard, io.LimitReader(p.in, protocol.MaxMessage))
	if err != nil {
		return fmt.Errorf("waiting for the init: %w", err)
	}
	return nil
}

// fail answers err to the init and exits with code.
func (p *initPipes) fail(err error, code int) {
	if err == nil {
		err = errors.New("failed")
	}
	p.answer(helperReply{Error: err.Error()})
	os.Exit(code)
}
