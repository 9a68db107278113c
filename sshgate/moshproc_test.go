package sshgate

import (
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestBoundUDPPorts(t *testing.T) {
	const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0200D50A:EA61 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41234 2 0000000000000000 0
  124: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41235 2 0000000000000000 0
garbage
  125: 00000000 00000000:0000 07
`
	const udp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  200: 00000000000000000000000000000000:EA62 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 51234 2 0000000000000000 0
`
	want := map[uint16]bool{60001: true, 60002: true, 60003: true, 53: true}
	tests := []struct {
		name, table string
		want        map[uint16]bool
		complete    bool
	}{
		{"udp", udp, map[uint16]bool{60001: true, 53: true}, true},
		{"udp6", udp6, map[uint16]bool{60002: true}, true},
		{"empty", "", map[uint16]bool{}, true},
		{"a huge line", strings.Repeat("x", 10000) + "\n", map[uint16]bool{}, false},
		{"too many lines", strings.Repeat("  1: 0100007F:0001 0:0\n", moshTableLines+2), map[uint16]bool{}, false},
	}
	for _, tt := range tests {
		got := map[uint16]bool{}
		complete := boundUDPPorts(iotest.OneByteReader(strings.NewReader(tt.table)), want, got)
		if diff := cmp.Diff(tt.want, got); diff != "" || complete != tt.complete {
			t.Errorf("%s: bound ports (-want +got):\n%s\ncomplete %v, want %v", tt.name, diff, complete, tt.complete)
		}
	}
}
