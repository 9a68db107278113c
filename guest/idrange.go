package guest

import "fmt"

// Each guest gets its own range of IDSize host uids and gids: root in the guest
// is IDBase on the host. Ranges start at FirstIDBase, far above the ids that
// /etc/subuid and ordinary accounts use, and are handed out lowest first.
const (
	FirstIDBase uint32 = 1 << 30
	IDSize      uint32 = 65536
	// maxIDSlots keeps every range below 2^32-1, the invalid id.
	maxIDSlots = (1<<32 - 1 - uint64(FirstIDBase)) / uint64(IDSize)
)

// allocIDBase returns the lowest range base not in used.
func allocIDBase(used map[uint32]bool) (uint32, error) {
	for slot := uint64(0); slot < maxIDSlots; slot++ {
		base := FirstIDBase + uint32(slot)*IDSize
		if !used[base] {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free id range left for a new guest (%d in use)", len(used))
}
