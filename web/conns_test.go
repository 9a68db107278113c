package web

import "testing"

func TestConnTable(t *testing.T) {
	ct := newConnTable()
	ended := 0
	var releases []func()
	for i := range maxConnsPerPerson {
		release, err := ct.take("alice", func() { ended++ })
		if err != nil {
			t.Fatalf("terminal %d refused: %v", i, err)
		}
		releases = append(releases, release)
	}
	if _, err := ct.take("alice", func() {}); err != errTooManyConns {
		t.Errorf("terminal past the bound: %v, want errTooManyConns", err)
	}
	if _, err := ct.take("bob", func() {}); err != nil {
		t.Errorf("bob's first terminal refused: %v", err)
	}
	releases[0]()
	if _, err := ct.take("alice", func() { ended++ }); err != nil {
		t.Errorf("a terminal after one closed: %v", err)
	}
	ct.closeAll("alice")
	if ended != maxConnsPerPerson {
		t.Errorf("closeAll ended %d terminals, want %d", ended, maxConnsPerPerson)
	}
}
