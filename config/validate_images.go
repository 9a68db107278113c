package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"vmhost/namerule"
)

var (
	imageName   = namerule.New("a-z0-9", "a-z0-9._-", 0, 62)
	packageName = namerule.New("a-z0-9", "a-z0-9+.-", 1, -1)
	variants    = []string{"minbase", "buildd", "fakechroot"}
)

// checkImages wants every image named well, from a known source, with what
// its source needs and nothing it does not use.
func checkImages(v *validator) {
	for _, name := range sortedKeys(v.c.Images) {
		path := "images." + name
		if !imageName.MatchString(name) {
			v.addf(path, "%q is not a valid image name; use up to 63 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", name)
		}
		checkImage(v, path, v.c.Images[name])
	}
}

// checkImage checks one image's source and the keys that go with it.
func checkImage(v *validator, path string, im Image) {
	switch im.Source {
	case SourceBusybox:
		refuseDebootstrapKeys(v, path, im)
		refusePath(v, path, im)
	case SourceDebootstrap:
		checkDebootstrap(v, path, im)
		refusePath(v, path, im)
	case SourceTar:
		refuseDebootstrapKeys(v, path, im)
		if im.Path == "" {
			v.addf(path+".path", "a tar image needs the path of a root filesystem tarball, like path: /srv/rootfs.tar.gz")
		}
	case "":
		v.addf(path+".source", "is missing; write source: busybox, debootstrap or tar")
	default:
		v.addf(path+".source", "%q is not a known source; write busybox, debootstrap or tar", im.Source)
	}
}

// checkDebootstrap checks the keys of a debootstrap image.
func checkDebootstrap(v *validator, path string, im Image) {
	if im.Suite == "" {
		v.addf(path+".suite", "a debootstrap image needs a suite, like suite: bookworm")
	}
	if im.Mirror != "" && !validMirror(im.Mirror) {
		v.addf(path+".mirror", "%q is not a mirror URL; write it like http://deb.debian.org/debian, or leave it empty for the host's", im.Mirror)
	}
	if im.Variant != "" && !slices.Contains(variants, im.Variant) {
		v.addf(path+".variant", "%q is not a debootstrap variant; write one of %s", im.Variant, strings.Join(variants, ", "))
	}
	for i, p := range im.Include {
		if !packageName.MatchString(p) {
			v.addf(fmt.Sprintf("%s.include[%d]", path, i), "%q is not a Debian package name", p)
		}
	}
}

// validMirror wants an http, https or file URL.
func validMirror(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != ""
	case "file":
		return u.Path != ""
	}
	return false
}

// refuseDebootstrapKeys refuses the keys only debootstrap images use.
func refuseDebootstrapKeys(v *validator, path string, im Image) {
	for _, k := range []struct {
		key string
		set bool
	}{{"suite", im.Suite != ""}, {"mirror", im.Mirror != ""}, {"variant", im.Variant != ""}, {"include", len(im.Include) > 0}} {
		if k.set {
			v.addf(path+"."+k.key, "only debootstrap images take %s:; remove it or write source: debootstrap", k.key)
		}
	}
}

// refusePath refuses the key only tar images use.
func refusePath(v *validator, path string, im Image) {
	if im.Path != "" {
		v.addf(path+".path", "only tar images take path:; remove it or write source: tar")
	}
}
