package view

import "time"

// Supervise watches the server from then on: when lxcfs ends, its mount is
// detached and a new one started at once, or after a growing delay when
// it keeps failing. changed is called whenever running guests should get
// new view files: after each start, and once when a start fails after the
// server ended (to take the dead files away). It is also called at once
// when the server was not adopted at Start, for guests that outlived an
// earlier one. It returns at once; Close ends the supervision.
func (s *Server) Supervise(changed func()) {
	s.mu.Lock()
	s.watched = true
	s.mu.Unlock()
	go s.supervise(changed)
}

// supervise is the loop of Supervise.
func (s *Server) supervise(changed func()) {
	defer close(s.done)
	if !s.adopted {
		changed()
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
			s.log.Warn("view server ended; starting it again", "lxcfs_pid", p.pid, "ran", ran.Round(time.Millisecond))
			s.setDown()
			delay, cleared = nextDelay(ran, delay), false
		}
		if !s.sleep(delay) {
			return
		}
		if err := s.launch(); err != nil {
			s.log.Warn("view server not started; guests see the host's memory and CPUs until it is", "err", err, "next_try", nextDelay(0, delay))
			delay = nextDelay(0, delay)
			if !cleared {
				changed()
				cleared = true
			}
			continue
		}
		changed()
		cleared = false
	}
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
