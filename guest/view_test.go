package guest

import (
	"testing"
	"vmhost/protocol"

	"github.com/google/go-cmp/cmp"
)

// fakeView is view servers with fixed files and generation.
type fakeView struct {
	sources []protocol.ViewSource
	gen     uint64
}

func (f *fakeView) Source(string) ([]protocol.ViewSource, uint64) { return f.sources, f.gen }

func (f *fakeView) Clones(string) ([]string, []int, uint64, error) {
	var files []string
	for _, s := range f.sources {
		files = append(files, s.Files...)
	}
	return files, nil, f.gen, nil
}

func TestViewConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		view    View
		want    *protocol.View
		wantGen uint64
	}{
		{"no view server", nil, nil, 0},
		{"down", &fakeView{gen: 3}, nil, 3},
		{"up", &fakeView{sources: []protocol.ViewSource{{Dir: "/run/v/lxcfs", Files: []string{"/proc/meminfo"}}}, gen: 4},
			&protocol.View{Sources: []protocol.ViewSource{{Dir: "/run/v/lxcfs", Files: []string{"/proc/meminfo"}}}}, 4},
		{"two servers", &fakeView{sources: []protocol.ViewSource{{Dir: "/run/v/lxcfs", Files: []string{"/proc/meminfo"}}, {Dir: "/run/v/stat", Files: []string{"/proc/stat"}}}, gen: 9},
			&protocol.View{Sources: []protocol.ViewSource{{Dir: "/run/v/lxcfs", Files: []string{"/proc/meminfo"}}, {Dir: "/run/v/stat", Files: []string{"/proc/stat"}}}}, 9},
	} {
		m := &Manager{opts: Options{View: tt.view}}
		got, gen := m.viewConfig("alice")
		if diff := cmp.Diff(tt.want, got); diff != "" || gen != tt.wantGen {
			t.Errorf("viewConfig(%s) = %+v, %d; want %+v, %d (-want +got):\n%s", tt.name, got, gen, tt.want, tt.wantGen, diff)
		}
	}
}
