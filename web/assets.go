package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// assets holds the placeholder page, committed, and the built page
// (assets/dist, made by `npm run build` in web/ and not committed) when
// the binary was built after it.
//
//go:embed assets
var assets embed.FS

// built returns the built page's files, or nil without them.
func built() fs.FS {
	sub, err := fs.Sub(assets, "assets/dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}

// Built reports whether the browser terminal's page was built into this
// binary.
func Built() bool { return built() != nil }

// page returns what answers with the built page name, or the placeholder.
func (s *Server) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fsys, file := built(), name
		if fsys == nil {
			fsys, file = assets, "assets/placeholder.html"
		}
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	}
}

// static answers GET /static/FILE with a file of the built page.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	fsys := built()
	file := r.PathValue("file")
	if fsys == nil || path.Ext(file) == ".html" {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(data))
}
