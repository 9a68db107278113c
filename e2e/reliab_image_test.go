package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReliabCrashInImageBuild kills the daemon in the middle of `image
// build --rebuild`: once the new root filesystem is extracted, and once the
// complete build is renamed into place but not yet made current. After a
// restart no temporary directory or link is left, image ls shows the old
// build (the build was not done) or the new one (it was), the current link
// points at it, alice keeps the build she was made from, and a new guest
// starts from the current build.
func TestReliabCrashInImageBuild(t *testing.T) {
	for _, tt := range []struct {
		point    string
		finished bool // whether the build counts as done
	}{
		{"image-after-extract", false},
		{"image-after-rename", true},
	} {
		t.Run(tt.point, func(t *testing.T) {
			d := newDaemon(t, daemonOptions{})
			d.mustSSH(t, "alice", "echo mine > /root/kept")
			before := d.imageBuilds(t)
			d.stop(t)
			d.startCrashing(t, tt.point)
			if res := d.admin(t, "", "image", "build", "busybox", "--rebuild"); res.code == 0 {
				t.Fatalf("image build succeeded: the daemon did not crash in the build: %+v", res)
			}
			d.waitCrashed(t)
			d.start(t)
			imagesDir := filepath.Join(d.dataDir, "images")
			if temps := append(globs(t, filepath.Join(imagesDir, ".build-*")), globs(t, filepath.Join(imagesDir, "*", ".rootfs.new"))...); len(temps) > 0 {
				t.Errorf("temporary files of the build left after the restart: %v", temps)
			}
			builds := d.imageBuilds(t)
			current := d.imageLs(t)["busybox"]
			want := before[len(before)-1]
			if tt.finished {
				want = builds[len(builds)-1]
				if len(builds) != len(before)+1 {
					t.Errorf("builds after the restart: %v, want one more than %v", builds, before)
				}
			} else if len(builds) != len(before) {
				t.Errorf("builds after the restart: %v, want %v", builds, before)
			}
			if current.Build != want {
				t.Errorf("image ls shows build %q of busybox, want %q", current.Build, want)
			}
			link, err := os.Readlink(filepath.Join(imagesDir, "busybox", "rootfs"))
			if err != nil || link != "builds/"+want+"/rootfs" {
				t.Errorf("the current link is %q, %v; want build %s", link, err, want)
			}
			if out := d.mustSSH(t, "alice", "cat /root/kept"); out != "mine\n" {
				t.Errorf("alice after the interrupted build = %q", out)
			}
			d.mustSSH(t, "bob", "true")
			if rootfs := d.rootfsOf(t, "bob"); !strings.Contains(rootfs, "/builds/"+want+"/") {
				t.Errorf("bob, new, starts from %s; want build %s", rootfs, want)
			}
		})
	}
}

// lsImage is an image as `vmhostd image ls --json` shows it.
type lsImage struct {
	Name, Build, Rootfs string
}

// imageLs returns the images `vmhostd image ls --json` lists, by name.
func (d *daemon) imageLs(t *testing.T) map[string]lsImage {
	t.Helper()
	var list []lsImage
	if err := json.Unmarshal([]byte(d.mustAdmin(t, "image", "ls", "--json")), &list); err != nil {
		t.Fatalf("reading image ls --json: %v", err)
	}
	out := map[string]lsImage{}
	for _, img := range list {
		out[img.Name] = img
	}
	return out
}

// imageBuilds lists the builds of the busybox image on disk, oldest first.
func (d *daemon) imageBuilds(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.dataDir, "images", "busybox", "builds"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids
}

// rootfsOf returns the image build guest id recorded in its guest.json.
func (d *daemon) rootfsOf(t *testing.T, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dataDir, "guests", id, "guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Rootfs string }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.Rootfs
}
