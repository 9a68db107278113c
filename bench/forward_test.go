package main

import "testing"

func TestListening(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:08FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:08FB 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
`
	for _, c := range []struct {
		port int
		want bool
	}{
		{2299, true},   // 08FB, listening
		{40000, false}, // 9C40, only an established connection
		{2300, false},  // absent
	} {
		if got := listening(table, localAddr(c.port)); got != c.want {
			t.Errorf("listening on port %d = %v, want %v", c.port, got, c.want)
		}
	}
}
