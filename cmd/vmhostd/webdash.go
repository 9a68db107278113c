package main

import (
	"context"
	"io"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/labs"
	"vmhost/web"
)

// webLabs adapts the classes' service and store to web.Labs: the
// dashboard's check, reset and last check results.
type webLabs struct {
	svc   *labs.Service
	store *labs.Store
	cfg   func() *config.Config
}

// LastChecks implements web.Labs.
func (l webLabs) LastChecks(class string) map[string]web.LabResult {
	out := map[string]web.LabResult{}
	for _, sg := range l.cfg().ClassGuests(class) {
		id := guest.GuestID(sg.Student, sg.Guest)
		if r, _ := l.store.LastCheck(class, id); r != nil {
			out[id] = webResult(*r)
		}
	}
	return out
}

// Check implements web.Labs: ":lab check CLASS" by actor.
func (l webLabs) Check(ctx context.Context, class, actor string) (web.LabReport, error) {
	rep, err := l.svc.Check(ctx, labs.Request{Class: class, By: actor}, io.Discard)
	return webReport(rep), err
}

// Reset implements web.Labs: ":lab reset CLASS STUDENT --yes" by actor.
func (l webLabs) Reset(ctx context.Context, class, student, actor string) (web.LabReport, error) {
	rep, err := l.svc.Reset(ctx, labs.Request{Class: class, Student: student, By: actor}, io.Discard)
	return webReport(rep), err
}

// webReport is rep as the dashboard shows it.
func webReport(rep labs.Report) web.LabReport {
	out := web.LabReport{Summary: rep.Summary(), Results: make([]web.LabResult, 0, len(rep.Results))}
	for _, r := range rep.Results {
		out.Results = append(out.Results, webResult(r))
	}
	return out
}

// webResult is r as the dashboard shows it.
func webResult(r labs.Result) web.LabResult {
	fail := r.Fail
	if fail == nil {
		fail = []string{}
	}
	return web.LabResult{Student: r.Student, Login: r.Guest, Result: r.Result, Fail: fail, Error: r.Error}
}

// guestUsage lists every guest with what it uses, for the admins' page,
// as `vmhostd top` reads it: state and connections from the manager,
// usage from the guest's cgroup, interfaces and disk, last use from seen.
func guestUsage(mgr *guest.Manager, conns *guest.Connections, seen *labs.Seen) func() []web.GuestUsage {
	return func() []web.GuestUsage {
		infos := mgr.List()
		out := make([]web.GuestUsage, 0, len(infos))
		for _, in := range infos {
			id := in.ID()
			u := web.GuestUsage{Owner: in.Owner, Guest: in.Name, Login: id, State: in.Status, Connected: conns.Sessions(id)}
			_, u.Active = seen.Last(id)
			if in.Running {
				if st, err := mgr.Stats(id); err == nil {
					u.CPUSeconds, u.MemoryBytes, u.Processes = st.CPU.Seconds(), st.MemoryBytes, st.Processes
					u.DiskBytes, u.DiskLimitBytes = st.Disk.Bytes, st.Disk.LimitBytes
					u.NetRxBytes, u.NetTxBytes = st.NetRxBytes, st.NetTxBytes
				}
			}
			out = append(out, u)
		}
		return out
	}
}

// everyGuest is the watch of the tracker that remembers when each guest
// was last used, for the labs' status and the admins' page.
func everyGuest(owner, name string) bool { return true }
