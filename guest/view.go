package guest

import (
	"path/filepath"
	"sync"
	"vmhost/protocol"
)

// View is the host's view servers as guests' starts and refreshes need
// them (package view): the files, under their mount points, that show each
// guest its own machine.
type View interface {
	// Source returns where each running server has the view files of the
	// guest id, and a generation that changes whenever a server starts or
	// ends.
	Source(id string) (sources []protocol.ViewSource, gen uint64)
	// Clones returns detached bind mounts of the view files of the guest
	// id for its running init (none of a server that is down); the caller
	// closes them.
	Clones(id string) (files []string, fds []int, gen uint64, err error)
}

// viewRefreshes bounds the guests whose view is replaced at once.
const viewRefreshes = 8

// viewConfig is what the starting init of guest id is told of the view, and the
// generation it was taken at; nil with no view server or while all are
// down.
func (m *Manager) viewConfig(id string) (*protocol.View, uint64) {
	if m.opts.View == nil {
		return nil, 0
	}
	sources, gen := m.opts.View.Source(id)
	if len(sources) == 0 {
		return nil, gen
	}
	return &protocol.View{Sources: sources}, gen
}

// checkViewAfterStart replaces the view of the guest id, just started with
// the view of generation gen, when the server started or ended meanwhile:
// a refresh that ran during the start may have missed it.
func (m *Manager) checkViewAfterStart(id string, gen uint64) {
	if m.opts.View == nil {
		return
	}
	if _, now := m.opts.View.Source(id); now != gen {
		go m.refreshView(id)
	}
}

// RefreshViews gives every running guest the view server's files as they
// are now: a restarted server's, or the kernel's while it is down. A guest
// whose init refuses or does not answer keeps what it has, with a log line.
func (m *Manager) RefreshViews() {
	if m.opts.View == nil {
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, viewRefreshes)
	for _, in := range m.List() {
		if !in.Running {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer wg.Done()
			defer func() { <-sem }()
			m.refreshView(id)
		}(in.ID())
	}
	wg.Wait()
}

// refreshView gives the guest id the view server's files as they are now.
func (m *Manager) refreshView(id string) {
	files, fds, _, err := m.opts.View.Clones(id)
	if err != nil {
		m.log.Warn("replacing a guest's view files", "guest", id, "err", err)
		return
	}
	sock := filepath.Join(m.runDir(id), controlSock)
	n, err := viewVia(sock, files, fds)
	protocol.CloseAll(fds)
	if err != nil {
		m.log.Warn("replacing a guest's view files", "guest", id, "err", err)
		return
	}
	m.log.Debug("replaced a guest's view files", "guest", id, "mounted", n, "of", len(files))
}
