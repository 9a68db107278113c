package guest

import (
	"errors"
	"fmt"
	"net"
	"time"
	"vmhost/protocol"
)

// viewTimeout bounds a view refresh of one guest, its init's answer included.
const viewTimeout = 5 * time.Second

// viewVia asks the init listening on sock to replace its guest's view files
// by the detached mounts fds, one per guest path of files (none: the
// kernel's files). It returns how many the init says it mounted; what the
// init answers is checked, and an answer out of range is an error.
func viewVia(sock string, files []string, fds []int) (int, error) {
	nc, err := net.DialTimeout("unixpacket", sock, viewTimeout)
	if err != nil {
		return 0, fmt.Errorf("reaching the guest's init: %w", err)
	}
	c := nc.(*net.UnixConn)
	defer c.Close()
	c.SetDeadline(time.Now().Add(viewTimeout))
	req := protocol.Request{Op: protocol.OpView, View: files}
	if err := protocol.SendMessage(c, req, fds...); err != nil {
		return 0, err
	}
	var rep protocol.Reply
	got, err := protocol.RecvMessage(c, &rep)
	protocol.CloseAll(got)
	switch {
	case err != nil:
		return 0, fmt.Errorf("waiting for the guest's init: %w", err)
	case rep.Error != "":
		return 0, errors.New(guestText(rep.Error))
	case len(got) != 0:
		return 0, fmt.Errorf("the guest's init answered a view request with %d files", len(got))
	case rep.Mounted < 0 || rep.Mounted > len(files):
		return 0, fmt.Errorf("the guest's init says it mounted %d view files of %d", rep.Mounted, len(files))
	}
	return rep.Mounted, nil
}
