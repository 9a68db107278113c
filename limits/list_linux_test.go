package limits

import (
	"slices"
	"testing"
)

func TestList(t *testing.T) {
	c := newTestController(t)
	if ids, err := c.List(); err != nil || len(ids) != 0 {
		t.Errorf("List with no parent group = %q, %v; want none", ids, err)
	}
	for _, id := range []string{"bob", "alice+web"} {
		g, err := c.Create(id, Spec{Pids: 10})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Delete() })
	}
	ids, err := c.List()
	if want := []string{"alice+web", "bob"}; err != nil || !slices.Equal(ids, want) {
		t.Errorf("List = %q, %v; want %q", ids, err, want)
	}
}
