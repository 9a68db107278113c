package fdbudget

import "testing"

func TestBudget(t *testing.T) {
	b := New(3)
	if err := b.Acquire(2); err != nil {
		t.Fatalf("Acquire(2) of 3 = %v, want nil", err)
	}
	if err := b.Acquire(2); err != ErrExhausted {
		t.Fatalf("Acquire(2) with 1 left = %v, want ErrExhausted", err)
	}
	if got := b.Used(); got != 2 {
		t.Fatalf("Used() after a refused Acquire = %d, want 2", got)
	}
	b.Release(2)
	if err := b.Acquire(3); err != nil {
		t.Fatalf("Acquire(3) after Release = %v, want nil", err)
	}
}

func TestNilBudgetAllows(t *testing.T) {
	var b *Budget
	if err := b.Acquire(1 << 20); err != nil {
		t.Fatalf("nil Budget Acquire = %v, want nil", err)
	}
	b.Release(1)
}

func TestUntrusted(t *testing.T) {
	tests := []struct {
		limit uint64
		want  int
	}{
		{1024, 0},
		{2048, 1024},
		{20000, 15000},
		{1 << 20, 786432},
	}
	for _, tt := range tests {
		if got := untrusted(tt.limit); got != tt.want {
			t.Errorf("untrusted(%d) = %d, want %d", tt.limit, got, tt.want)
		}
	}
}
