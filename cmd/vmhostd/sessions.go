package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"vmhost/admin"
	"vmhost/config"
	vmsession "vmhost/session"
	"vmhost/session/record"
	"vmhost/session/screen"
	"vmhost/sshgate"
)

// Emulation budget of kept sessions' screens, for all sessions together:
// the bytes of output per second emulated, and the burst. Output past it
// still reaches the client; the screen is marked stale and redrawn by the
// program when a client reattaches.
const (
	screenRate  = 8 << 20
	screenBurst = 32 << 20
)

// keptSessions returns what keeps terminal sessions across dropped
// connections, with the bounds of the config's ssh: section (read at
// start) and each user's reattach (read at each login, so a reload
// applies).
func keptSessions(cfg *config.Config, live *liveConfig, log *slog.Logger) *sshgate.Sessions {
	audit := log.With("audit", true)
	table := vmsession.NewTable(vmsession.Bounds{
		DetachTimeout: time.Duration(cfg.SSH.DetachTimeout),
		MaxDetached:   cfg.SSH.MaxDetached,
	}, time.Now, func(guest string, i vmsession.Info, why string) {
		audit.Info("session hung up", "guest", guest, "session", i.N, "reason", why)
	})
	return &sshgate.Sessions{
		Table:      table,
		Keeps:      func(owner string) bool { return live.Config().ReattachFor(owner) },
		Budget:     screen.NewBudget(screenRate, screenBurst, time.Now),
		Recordings: record.NewStore(filepath.Join(cfg.DataDir, "recordings")),
		Record:     func(owner string) config.RecordPolicy { return live.Config().RecordingFor(owner) },
		Teaching:   liveTeaching{live},
	}
}

// liveTeaching is sshgate.Teaching with the configuration in use.
type liveTeaching struct{ live *liveConfig }

// Teaches implements sshgate.Teaching.
func (t liveTeaching) Teaches(person, owner string) bool {
	return t.live.Config().Teaches(person, owner)
}

// TeacherOf implements sshgate.Teaching.
func (t liveTeaching) TeacherOf(person string) []string { return t.live.Config().TeacherOf(person) }

// ClassGuests implements sshgate.Teaching.
func (t liveTeaching) ClassGuests(class string) []config.StudentGuest {
	return t.live.Config().ClassGuests(class)
}

// keptAdmin shows the kept sessions and their recordings to the admin API.
type keptAdmin struct{ s *sshgate.Sessions }

// Live implements admin.KeptSessions.
func (k keptAdmin) Live(guest string) []admin.LiveSession {
	guests := []string{guest}
	if guest == "" {
		guests = k.s.Table.Guests()
	}
	out := []admin.LiveSession{}
	for _, g := range guests {
		for _, i := range k.s.Table.List(g) {
			out = append(out, admin.LiveSession{Guest: g, Session: i.N, Attached: i.Attached, Since: i.Since,
				Started: i.Started, Command: i.Command, Cols: i.Cols, Rows: i.Rows})
		}
	}
	return out
}

// Recordings implements admin.KeptSessions.
func (k keptAdmin) Recordings(guest string) ([]record.Entry, error) {
	return k.s.Recordings.List(guest)
}

// OpenRecording implements admin.KeptSessions.
func (k keptAdmin) OpenRecording(id string) (io.ReadCloser, error) { return k.s.Recordings.Open(id) }

// Session implements admin.KeptSessions.
func (k keptAdmin) Session(guest string, n int) (*vmsession.Kept, error) {
	return k.s.Table.Get(guest, n)
}
