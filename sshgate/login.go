package sshgate

import (
	"fmt"
	"strings"
	"vmhost/namerule"
)

var (
	ownerName = namerule.New("a-z_", "a-z0-9_-", 0, 31)
	guestName = namerule.New("a-z0-9", "a-z0-9-", 0, 31)
)

// ParseLogin splits an SSH login name into the guest's owner and the guest's
// name: "alice" is alice's default guest "alice", and "alice+web" is alice's
// guest "web". An owner matches ^[a-z_][a-z0-9_-]{0,31}$ and a guest name,
// which is also its hostname, ^[a-z0-9][a-z0-9-]{0,31}$; anything else is an
// error. So an owner whose name is not a valid guest name (such as "_bob")
// must name a guest: "_bob+box".
func ParseLogin(login string) (owner, guest string, err error) {
	owner, guest, named := strings.Cut(login, "+")
	if !named {
		guest = owner
	}
	if !ownerName.MatchString(owner) {
		return "", "", fmt.Errorf("login %q: user name %q is not valid (lower-case letters, digits, _ and -, at most 32)", login, owner)
	}
	if !guestName.MatchString(guest) {
		return "", "", fmt.Errorf("login %q: guest name %q is not a valid host name (lower-case letters, digits and -, at most 32); log in as USER+GUEST", login, guest)
	}
	return owner, guest, nil
}
