package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"vmhost/images"
)

// listImages answers GET /v1/images.
func (s *Server) listImages(r *http.Request) (any, error) {
	imgs, err := s.opts.Images.List()
	if err != nil {
		return nil, err
	}
	users := s.imageUsers()
	out := make([]Image, 0, len(imgs))
	for _, img := range imgs {
		out = append(out, imageView(img, users[img.Name]))
	}
	return out, nil
}

// imageView is what the API shows of an image.
func imageView(img images.Image, guests []string) Image {
	if guests == nil {
		guests = []string{}
	}
	return Image{Name: img.Name, Build: img.Build, Source: img.Source, Built: img.Built, Rootfs: img.Rootfs, Guests: guests}
}

// imageUsers returns the guests of every image, by image name.
func (s *Server) imageUsers() map[string][]string {
	users := map[string][]string{}
	for _, in := range s.opts.Guests.List() {
		users[in.Image] = append(users[in.Image], in.ID())
	}
	return users
}

// removeImage answers DELETE /v1/images/{name}: refused while guests use it.
func (s *Server) removeImage(r *http.Request) (any, error) {
	name := r.PathValue("name")
	if guests := s.imageUsers()[name]; len(guests) > 0 {
		slices.Sort(guests)
		return nil, errf(http.StatusConflict, "image %s is in use by guest(s) %s; remove them first (vmhostd guest rm NAME)", name, strings.Join(guests, ", "))
	}
	inUse := func(rootfs string) bool {
		for _, in := range s.opts.Guests.List() {
			if in.Rootfs == rootfs {
				return true
			}
		}
		return false
	}
	if err := s.opts.Images.Remove(name, inUse); err != nil {
		if errors.Is(err, images.ErrInUse) {
			return nil, errf(http.StatusConflict, "%v", err)
		}
		return nil, err
	}
	s.log.Info("admin removed image", "image", name)
	return map[string]string{"removed": name}, nil
}

// buildImage answers POST /v1/images/{name}/build[?rebuild=yes]: a stream of
// BuildEvent lines, the progress, then the image or the error.
func (s *Server) buildImage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	spec, ok := s.opts.Daemon.Config().Images[name]
	if !ok {
		writeError(w, errf(http.StatusNotFound, "image %q is not defined in %s; add it under images: and run vmhostd reload", name, s.opts.Daemon.Config().Path))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	ev := &eventWriter{w: w, enc: json.NewEncoder(w)}
	build := s.opts.Images.Ensure
	if r.URL.Query().Get("rebuild") == "yes" {
		build = s.opts.Images.Rebuild
	}
	s.log.Info("admin building image", "image", name)
	img, err := build(r.Context(), name, spec, ev)
	if err != nil {
		ev.send(BuildEvent{Error: fmt.Sprintf("building image %s: %v", name, err)})
		return
	}
	view := imageView(img, s.imageUsers()[name])
	ev.send(BuildEvent{Image: &view})
}

// eventWriter turns progress writes into BuildEvent lines, flushed at once.
type eventWriter struct {
	mu  sync.Mutex
	w   http.ResponseWriter
	enc *json.Encoder
}

// Write implements io.Writer.
func (e *eventWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		e.send(BuildEvent{Progress: line})
	}
	return len(p), nil
}

// send writes one event and flushes it.
func (e *eventWriter) send(ev BuildEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.enc.Encode(ev)
	http.NewResponseController(e.w).Flush()
}
