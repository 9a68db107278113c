package guest

import "testing"

func TestAllocIDBase(t *testing.T) {
	tests := []struct {
		name string
		used []uint32
		want uint32
	}{
		{"empty", nil, FirstIDBase},
		{"first taken", []uint32{FirstIDBase}, FirstIDBase + IDSize},
		{"hole", []uint32{FirstIDBase, FirstIDBase + 2*IDSize}, FirstIDBase + IDSize},
	}
	for _, tt := range tests {
		used := map[uint32]bool{}
		for _, b := range tt.used {
			used[b] = true
		}
		got, err := allocIDBase(used)
		if err != nil || got != tt.want {
			t.Errorf("%s: allocIDBase(%v) = %d, %v, want %d", tt.name, tt.used, got, err, tt.want)
		}
	}
}

func TestAllocIDBaseStaysBelowInvalidID(t *testing.T) {
	last := uint64(FirstIDBase) + (maxIDSlots-1)*uint64(IDSize) + uint64(IDSize) - 1
	if last >= 1<<32-1 {
		t.Fatalf("last id of the last range = %d, want < %d", last, uint64(1<<32-1))
	}
}

func TestGuestID(t *testing.T) {
	tests := []struct{ owner, name, want string }{
		{"alice", "alice", "alice"},
		{"alice", "", "alice"},
		{"alice", "web", "alice+web"},
	}
	for _, tt := range tests {
		if got := GuestID(tt.owner, tt.name); got != tt.want {
			t.Errorf("GuestID(%q, %q) = %q, want %q", tt.owner, tt.name, got, tt.want)
		}
	}
}
