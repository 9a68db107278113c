package netplumb

// Room says whether the bridge has a port for guest guestID: nil when the
// guest holds one already or one is free, [ErrBridgeFull] when [MaxGuests]
// guests hold one. It takes nothing (Attach does), so that a caller can
// refuse a guest before making anything for it.
func (n *Network) Room(guestID string) error { return n.slots.room(guestID) }
