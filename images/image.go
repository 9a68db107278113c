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
	// Dir is <dir>/<name>, holding rootfs/ and image.json.
	Dir string
	// Rootfs is the root filesystem, with real ids 0..65535.
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

// readImage reads the image at dir from its image.json. A missing dir gives an
// error that matches os.ErrNotExist.
func readImage(dir string) (Image, error) {
	if _, err := os.Stat(dir); err != nil {
		return Image{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if errors.Is(err, os.ErrNotExist) {
		return Image{}, fmt.Errorf("%s has no %s: it is not a complete image; remove it to rebuild it", dir, metadataFile)
	}
	if err != nil {
		return Image{}, err
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return Image{}, fmt.Errorf("reading %s: %w; remove %s to rebuild the image", filepath.Join(dir, metadataFile), err, dir)
	}
	return Image{
		Name:   filepath.Base(dir),
		Dir:    dir,
		Rootfs: filepath.Join(dir, "rootfs"),
		Source: m.Source,
		Built:  m.Built,
		Spec:   m.Config.config(),
	}, nil
}
