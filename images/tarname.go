package images

import (
	"archive/tar"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// maxGuestID is the largest uid or gid a guest sees: each guest maps ids
// 0..65535 of its image.
const maxGuestID = 65535

// errDotDot is the error for an entry whose path has a ".." component.
var errDotDot = errors.New(`its path has a ".." component; a root filesystem tarball never has one, so this one is refused`)

// cleanName returns the path of a tarball entry relative to the rootfs, "."
// for the root itself. Leading slashes and "./" are dropped, as GNU tar does,
// so an absolute name lands inside the image; a ".." component anywhere is an
// error, so a name can never climb out of it.
func cleanName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", errors.New("it has an empty or invalid name")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", errDotDot
		}
	}
	p := path.Clean("/" + name)
	if p == "/" {
		return ".", nil
	}
	return p[1:], nil
}

// checkOwner returns an error unless the entry's numeric owner and group are
// ids a guest can see. Owner names are ignored, as with tar --numeric-owner.
func checkOwner(h *tar.Header) error {
	for _, id := range []struct {
		kind string
		n    int
	}{{"uid", h.Uid}, {"gid", h.Gid}} {
		if id.n < 0 || id.n > maxGuestID {
			return fmt.Errorf("it is owned by %s %d, but guests see ids 0..%d only; rebuild the tarball with ids in that range", id.kind, id.n, maxGuestID)
		}
	}
	return nil
}

// xattrPrefix starts the PAX records that hold extended attributes.
const xattrPrefix = "SCHILY.xattr."

// keptXattr says whether an extended attribute of a tarball is restored:
// user attributes, file capabilities and POSIX ACLs. Others mean nothing in a
// guest or would be harmful in an overlay's lower layer (trusted.overlay.*),
// and a host's security labels (security.selinux) do not belong to an image.
func keptXattr(name string) bool {
	switch name {
	case "security.capability", "system.posix_acl_access", "system.posix_acl_default":
		return true
	}
	return strings.HasPrefix(name, "user.")
}

// xattrs returns the extended attributes of h to restore, sorted by name,
// and counts the others in ignored.
func xattrs(h *tar.Header, ignored map[string]int) []string {
	var names []string
	for k := range h.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPrefix)
		if !ok {
			continue
		}
		if keptXattr(name) {
			names = append(names, name)
		} else {
			ignored[name]++
		}
	}
	sort.Strings(names)
	return names
}

// ignoredSummary describes the extended attributes that were not restored,
// such as "security.selinux (3 entries)", or "" if none.
func ignoredSummary(ignored map[string]int) string {
	var parts []string
	for name, n := range ignored {
		parts = append(parts, fmt.Sprintf("%s (%d entries)", name, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
