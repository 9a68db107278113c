package agent

import (
	"context"
	"slices"
	"sync"
)

// fakeNode is a Node in memory: an assigned guest is starting until start
// marks it running.
type fakeNode struct {
	mu       sync.Mutex
	guests   map[[2]string]*AssignedGuest
	assigned []Assignment // every Assign call
	calls    []string     // "assign alice+web", "unassign alice+web"
}

func newFakeNode() *fakeNode {
	return &fakeNode{guests: map[[2]string]*AssignedGuest{}}
}

func (f *fakeNode) Assign(_ context.Context, a Assignment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assigned = append(f.assigned, a)
	f.calls = append(f.calls, "assign "+a.Owner+"+"+a.Name)
	k := [2]string{a.Owner, a.Name}
	if f.guests[k] == nil {
		f.guests[k] = &AssignedGuest{Owner: a.Owner, Name: a.Name, State: StateStarting}
	}
	return nil
}

func (f *fakeNode) Unassign(_ context.Context, owner, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "unassign "+owner+"+"+name)
	delete(f.guests, [2]string{owner, name})
	return nil
}

func (f *fakeNode) List(context.Context) ([]AssignedGuest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var l []AssignedGuest
	for _, g := range f.guests {
		l = append(l, *g)
	}
	slices.SortFunc(l, func(a, b AssignedGuest) int {
		if a.Owner+"+"+a.Name < b.Owner+"+"+b.Name {
			return -1
		}
		return 1
	})
	return l, nil
}

// start marks owner's guest name running at addr.
func (f *fakeNode) start(owner, name, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.guests[[2]string{owner, name}]
	g.State, g.Address = StateRunning, addr
}

// has says whether owner's guest name is assigned.
func (f *fakeNode) has(owner, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.guests[[2]string{owner, name}] != nil
}
