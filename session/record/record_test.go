package record

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vmhost/session/asciicast"
)

func TestCreateListOpen(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(filepath.Join(dir, "recordings"))
	start := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	r, err := s.Create("alice+web", start, asciicast.Header{Width: 80, Height: 24}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("hello"))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "recordings", r.ID))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("recording file: %v, %v; want mode 0600", fi, err)
	}
	if di, _ := os.Stat(filepath.Join(dir, "recordings", "alice+web")); di.Mode().Perm() != 0o700 {
		t.Errorf("guest directory mode %v, want 0700", di.Mode().Perm())
	}
	list, err := s.List("")
	if err != nil || len(list) != 1 || list[0].ID != r.ID || !list[0].Started.Equal(start) || list[0].Guest != "alice+web" {
		t.Fatalf("List = %+v, %v; want the one recording", list, err)
	}
	f, err := s.Open(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, rd, err := asciicast.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := rd.Next(); err != nil || e.Data != "hello" {
		t.Errorf("first event = %+v, %v; want the output", e, err)
	}
}

func TestOpenRefusesPaths(t *testing.T) {
	s := NewStore(t.TempDir())
	for _, id := range []string{"", "alice", "../etc/passwd", "alice/../../x.cast", "alice/20261204T210000Z-1.cast", "../x/20261204T210000Z-1.cast", "alice/x.cast"} {
		if _, err := s.Open(id); !errors.Is(err, ErrNoRecording) {
			t.Errorf("Open(%q) = %v, want %v", id, err, ErrNoRecording)
		}
	}
	if _, err := s.Create("../x", time.Now(), asciicast.Header{}, time.Now); err == nil {
		t.Error("Create for guest ../x succeeded")
	}
}
