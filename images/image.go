package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"vmhost/config"
)

// Image is a built image, ready to be the lower layer of a guest's overlay.
type Image struct {
	// Name is the image's name in the config.
	Name string
	// Dir is <dir>/<name>, holding builds/ and the link rootfs to the
	// current build's root filesystem.
	Dir string
	// Build names this build of the image: a directory of Dir/builds, such
	// as "20250520T101500.123456789Z". It is "" for an image of the layout
	// before builds, which keeps its rootfs/ in Dir.
	Build string
	// Rootfs is this build's root filesystem, with real ids 0..65535:
	// Dir/builds/<Build>/rootfs. The path stays the same, and so does its
	// content, when the image is built again: a guest records it and keeps
	// using it.
	Rootfs string
	// Source is the source the image was built from, such as "busybox".
	Source string
	// Built is when the build finished.
	Built time.Time
	// Spec is the config the image was built from.
	Spec config.Image
}

// metadataFile is the name of an image's metadata file inside its Dir.
const metadataFile = "image.json"

// metadata is the content of image.json.
type metadata struct {
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Built  time.Time `json:"built"`
	Config spec      `json:"config"`
}

// spec is config.Image with stable JSON names, as stored in image.json.
type spec struct {
	Source  string   `json:"source"`
	Suite   string   `json:"suite,omitempty"`
	Mirror  string   `json:"mirror,omitempty"`
	Variant string   `json:"variant,omitempty"`
	Include []string `json:"include,omitempty"`
	Path    string   `json:"path,omitempty"`
}

func specFromConfig(c config.Image) spec {
	return spec{Source: c.Source, Suite: c.Suite, Mirror: c.Mirror, Variant: c.Variant, Include: c.Include, Path: c.Path}
}

func (s spec) config() config.Image {
	return config.Image{Source: s.Source, Suite: s.Suite, Mirror: s.Mirror, Variant: s.Variant, Include: s.Include, Path: s.Path}
}

// writeMetadata writes image.json into dir.
func writeMetadata(dir string, m metadata) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", metadataFile, err)
	}
	return writeFile(filepath.Join(dir, metadataFile), append(data, '\n'), 0o644)
}

// readBuild reads the build at dir, holding rootfs/ and image.json, of the
// image whose directory is imageDir. A missing dir gives an error that
// matches os.ErrNotExist.
func readBuild(imageDir, dir string) (Image, error) {
	if _, err := os.Stat(dir); err != nil {
		return Image{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if errors.Is(err, os.ErrNotExist) {
		return Image{}, fmt.Errorf("%s has no %s: it is not a complete image; remove %s to rebuild it", dir, metadataFile, imageDir)
	}
	if err != nil {
		return Image{}, err
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return Image{}, fmt.Errorf("reading %s: %w; remove %s to rebuild the image", filepath.Join(dir, metadataFile), err, imageDir)
	}
	img := Image{
		Name:   filepath.Base(imageDir),
		Dir:    imageDir,
		Rootfs: filepath.Join(dir, "rootfs"),
		Source: m.Source,
		Built:  m.Built,
		Spec:   m.Config.config(),
	}
	if dir != imageDir {
		img.Build = filepath.Base(dir)
	}
	return img, nil
}
