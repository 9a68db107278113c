package view

import (
	"errors"
	"sync"

	"vmhost/protocol"
)

// Set is the view servers guests' files come from (lxcfs and the /proc/stat
// server), as guests' starts and refreshes take them.
type Set struct {
	servers []*Server
	refresh sync.Mutex // one refresh of running guests at a time
}

// NewSet returns the set of servers; nil ones are left out.
func NewSet(servers ...*Server) *Set {
	s := &Set{}
	for _, srv := range servers {
		if srv != nil {
			s.servers = append(s.servers, srv)
		}
	}
	return s
}

// Empty reports whether the set has no server.
func (s *Set) Empty() bool { return len(s.servers) == 0 }

// Source returns where each running server has the files of the guest id,
// and a generation that changes whenever any server starts or ends.
func (s *Set) Source(id string) ([]protocol.ViewSource, uint64) {
	var out []protocol.ViewSource
	var gen uint64
	for _, srv := range s.servers {
		dir, files, g := srv.Source(id)
		gen += g
		if len(files) > 0 {
			out = append(out, protocol.ViewSource{Dir: dir, Files: files})
		}
	}
	return out, gen
}

// Clones returns detached bind mounts of every running server's files for
// the guest id; the caller closes them.
func (s *Set) Clones(id string) (files []string, fds []int, gen uint64, err error) {
	for _, srv := range s.servers {
		f, d, g, err := srv.Clones(id)
		gen += g
		if err != nil {
			protocol.CloseAll(fds)
			return nil, nil, gen, err
		}
		files, fds = append(files, f...), append(fds, d...)
	}
	return files, fds, gen, nil
}

// Supervise supervises every server (Server.Supervise); changed, called
// when running guests should get new files, runs for one server at a time.
func (s *Set) Supervise(changed func()) {
	for _, srv := range s.servers {
		srv.Supervise(func() {
			s.refresh.Lock()
			defer s.refresh.Unlock()
			changed()
		})
	}
}

// Close closes every server (Server.Close).
func (s *Set) Close(stop bool) error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close(stop))
	}
	return errors.Join(errs...)
}
