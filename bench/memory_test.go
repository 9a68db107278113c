package main

import "testing"

func TestPastLargestOrder(t *testing.T) {
	n, err := pastLargestOrder("Node 0, zone   Normal  18018  18174  15795  16090   8813   4813   2991   1913   1040    611   3226 ")
	if err != nil || n != 11 {
		t.Errorf("orders 0-10: pastLargestOrder = %d, %v; want 11", n, err)
	}
	if _, err := pastLargestOrder("nonsense"); err == nil {
		t.Error("pastLargestOrder(nonsense) did not fail")
	}
}

func TestPinnedMemory(t *testing.T) {
	pinned, err := pinnedMemory()
	if err != nil {
		t.Fatal(err)
	}
	anon, err := meminfo("AnonPages")
	if err != nil {
		t.Fatal(err)
	}
	// This test's own heap is anonymous memory, and the kernel always has
	// unreclaimable slab and stacks: pinned is more than the anonymous pages.
	if anon <= 0 || pinned <= anon {
		t.Errorf("pinnedMemory() = %d, AnonPages %d; want more than AnonPages", pinned, anon)
	}
}
