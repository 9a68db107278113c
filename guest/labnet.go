package guest

import "vmhost/config"

// Links plugs guests into the private L2 segments of teaching labs (issue
// 21): a student's hosts each get eth1, eth2, ... on segments of their
// student's own. cmd/vmhostd adapts *netplumb.LabNet to it. With no Links,
// guests have no such interfaces.
type Links interface {
	// Attach gives the guest id, whose network namespace is at nsPath, an
	// interface on each link's segment. Attaching again repairs.
	Attach(id string, links []config.LabLink, nsPath string) error
}

// linkPolicy is a Policy that says which links a guest has;
// *config.Config is one.
type linkPolicy interface {
	// LinksOf returns the links of the owner's guest named name.
	LinksOf(owner, name string) []config.LabLink
}

// attachLinks gives the guest st, whose network namespace is at nsPath, the
// links the policy in use gives it. A guest started before the policy gave
// it links gets them at its next start (or the daemon's).
func (m *Manager) attachLinks(st *State, nsPath string) error {
	if m.opts.Links == nil {
		return nil
	}
	lp, ok := m.policy().(linkPolicy)
	if !ok {
		return nil
	}
	links := lp.LinksOf(st.Owner, st.Name)
	if len(links) == 0 {
		return nil
	}
	return m.opts.Links.Attach(st.ID(), links, nsPath)
}
