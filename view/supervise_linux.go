package view

import (
	"os"
	"strconv"
	"time"
	"vmhost/atomicfile"
)

// Supervise watches the server from then on: when it ends, its mount is
// detached and a new one started at once, or after a growing delay when
// it keeps failing. changed is called whenever running guests should get
// new view files: after each start, and once when a start fails after the
// server ended (to take the dead files away). It is also called at once
// unless the server was adopted and its served file says every running
// guest got its files already: guests may have outlived an earlier server,
// or a daemon killed while it gave them the new one's. It returns at once;
// Close ends the supervision.
func (s *Server) Supervise(changed func()) {
	s.mu.Lock()
	s.watched = true
	s.mu.Unlock()
	go s.supervise(changed)
}

// supervise is the loop of Supervise.
func (s *Server) supervise(changed func()) {
	defer close(s.done)
	if !s.adopted || !s.served() {
		s.changed(changed)
	}
	var delay time.Duration
	cleared := !s.Running()
	for {
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		if p != nil {
			select {
			case <-p.exited:
			case <-s.quit:
				return
			}
			ran := time.Since(p.started)
			s.log.Warn("view server ended; starting it again", "server", s.kind.name, "pid", p.pid, "ran", ran.Round(time.Millisecond))
			s.setDown()
			delay, cleared = nextDelay(ran, delay), false
		}
		if !s.sleep(delay) {
			return
		}
		if err := s.launch(); err != nil {
			s.log.Warn("view server not started; guests see the host's numbers until it is", "server", s.kind.name, "err", err, "next_try", nextDelay(0, delay))
			delay = nextDelay(0, delay)
			if !cleared {
				s.changed(changed)
				cleared = true
			}
			continue
		}
		s.changed(changed)
		cleared = false
	}
}

// changed calls changed, and records which server (none while down) every
// running guest has then.
func (s *Server) changed(changed func()) {
	os.Remove(s.servedPath())
	changed()
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		atomicfile.WriteFile(s.servedPath(), []byte(strconv.Itoa(p.pid)+"\n"), 0o600)
	}
}

// served reports whether every running guest was given the files of the
// running server, as its served file records.
func (s *Server) served() bool {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	b, err := os.ReadFile(s.servedPath())
	pid, ok := parsePid(b)
	return err == nil && ok && p != nil && pid == p.pid
}

// sleep waits d, and reports false when Close came first.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.quit:
		return false
	}
}
