package cluster

import "vmhost/config"

// Policy is the guest policy of a node: an assigned guest gets the image
// and limits of its assignment (limits it leaves zero from defaults.limits);
// every other guest, and everything else, what the configuration says.
// Its other methods are the configuration's.
type Policy struct {
	*config.Config
	store *Store
}

// NewPolicy returns the policy of cfg with the assignments of store.
func NewPolicy(cfg *config.Config, store *Store) Policy {
	return Policy{Config: cfg, store: store}
}

// GuestImage implements guest.Policy.
func (p Policy) GuestImage(owner, name string) string {
	if a, ok := p.store.Get(owner, name); ok {
		return a.Image
	}
	return p.Config.GuestImage(owner, name)
}

// GuestVolume implements guest.VolumePolicy: the volume of an assigned
// volume guest, else "".
func (p Policy) GuestVolume(owner, name string) string {
	a, _ := p.store.Get(owner, name)
	return a.Volume
}

// GuestLimits implements guest.Policy.
func (p Policy) GuestLimits(owner, name string) config.Limits {
	if a, ok := p.store.Get(owner, name); ok {
		return p.Defaults.Limits.Override(a.Limits)
	}
	return p.Config.GuestLimits(owner, name)
}

// MaxGuestsFor implements guest.Policy: a user of the configuration may
// have their max_guests and their assigned guests; an owner known only
// from assignments, as many guests as the node takes (only assigned ones
// are reached over the cluster listener).
func (p Policy) MaxGuestsFor(owner string) int {
	if _, ok := p.Users[owner]; ok || !p.Cluster.Enabled() {
		return p.Config.MaxGuestsFor(owner) + p.store.Owned(owner)
	}
	return p.Cluster.MaxGuests
}
