package guest

import (
	"testing"
	"vmhost/protocol"

	"github.com/google/go-cmp/cmp"
)

// fakeView is a view server with fixed files and generation.
type fakeView struct {
	dir   string
	files []string
	gen   uint64
}

func (f *fakeView) Source() (string, []string, uint64) { return f.dir, f.files, f.gen }

func (f *fakeView) Clones() ([]string, []int, uint64, error) { return f.files, nil, f.gen, nil }

func TestViewConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		view    View
		want    *protocol.View
		wantGen uint64
	}{
		{"no view server", nil, nil, 0},
		{"down", &fakeView{dir: "/run/v/lxcfs", gen: 3}, nil, 3},
		{"up", &fakeView{dir: "/run/v/lxcfs", files: []string{"/proc/meminfo"}, gen: 4},
			&protocol.View{Dir: "/run/v/lxcfs", Files: []string{"/proc/meminfo"}}, 4},
	} {
		m := &Manager{opts: Options{View: tt.view}}
		got, gen := m.viewConfig()
		if diff := cmp.Diff(tt.want, got); diff != "" || gen != tt.wantGen {
			t.Errorf("viewConfig(%s) = %+v, %d; want %+v, %d (-want +got):\n%s", tt.name, got, gen, tt.want, tt.wantGen, diff)
		}
	}
}
