package guest

import (
	"context"
	"path/filepath"
)

// firstStart calls Options.FirstStart for the guest e, just started, when
// fresh says it started from its image (its state named no build: a new
// guest, or one reset). It runs with e.mu held, so a login or an exec
// that arrives meanwhile waits for it, as a class's setup wants; its
// context does not end with the caller's. Called with e.mu held.
func (m *Manager) firstStart(ctx context.Context, e *entry, fresh bool) {
	if !fresh || m.opts.FirstStart == nil {
		return
	}
	st := &e.state
	g := running{sock: filepath.Join(m.runDir(st.ID()), controlSock), initDone: exitedOf(e.proc), ip: st.IP}
	m.opts.FirstStart(context.WithoutCancel(ctx), st.Owner, st.Name, g)
}
