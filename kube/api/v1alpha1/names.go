package v1alpha1

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"vmhost/config"
)

// plainPart is an owner or guest name that is a DNS label as it stands:
// lower-case letters, digits and -, beginning and ending with a letter or
// digit.
var plainPart = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// nameEncoding writes names that are not plain in base32hex, lower case and
// without padding: letters a-v and digits only, all valid in a DNS label.
var nameEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// encodedPrefix begins an encoded resource name. Readable names have one or
// two dot-separated parts and encoded ones three, so the two never meet.
const encodedPrefix = "x."

// ValidateNames says what is wrong with an owner and guest name, or nil: the
// owner follows vmhost's user name rule and the name is the owner's (the
// default guest) or follows its guest name rule. The CRD checks the same.
func ValidateNames(owner, name string) error {
	switch {
	case !config.ValidUserName(owner):
		return fmt.Errorf("%q is not a user name: lower-case letters, digits, _ and -, at most 32, not beginning with a digit or -", owner)
	case name != owner && !config.ValidGuestName(name):
		return fmt.Errorf("%q is not a guest name: lower-case letters, digits and -, at most 32, or the owner's name", name)
	}
	return nil
}

// ResourceName is the metadata name of the Guest of owner's guest name. The
// rule, which keeps every name a valid DNS-1123 subdomain and tells every
// (owner, name) pair apart:
//
//   - when owner and name are both plain DNS labels (lower-case letters,
//     digits and -, neither first nor last a -), the owner's default guest
//     (name == owner) is OWNER and a named guest is OWNER.NAME: alice and
//     alice.web. A dot appears in neither vmhost user nor guest names, so
//     it cannot be mistaken for part of one.
//   - otherwise (a user name with _ or an edge -), the name is
//     x.B32(OWNER).B32(NAME), each part in lower-case base32hex without
//     padding: three dot-separated parts, which no readable name has.
func ResourceName(owner, name string) string {
	if plainPart.MatchString(owner) && plainPart.MatchString(name) {
		if name == owner {
			return owner
		}
		return owner + "." + name
	}
	return encodedPrefix + nameEncoding.EncodeToString([]byte(owner)) + "." +
		nameEncoding.EncodeToString([]byte(name))
}

// ParseResourceName gives back the owner and guest name of a Guest's
// metadata name made by ResourceName.
func ParseResourceName(s string) (owner, name string, err error) {
	if rest, ok := strings.CutPrefix(s, encodedPrefix); ok {
		return parseEncoded(s, rest)
	}
	owner, name, named := strings.Cut(s, ".")
	if !named {
		name = owner
	}
	if !plainPart.MatchString(owner) || !plainPart.MatchString(name) || (named && name == owner) ||
		ValidateNames(owner, name) != nil {
		return "", "", fmt.Errorf("%q is not a Guest name: write OWNER, OWNER.NAME or x.B32(OWNER).B32(NAME)", s)
	}
	return owner, name, nil
}

// parseEncoded decodes rest, the part of s after the encoded prefix.
func parseEncoded(s, rest string) (owner, name string, err error) {
	o, n, ok := strings.Cut(rest, ".")
	if !ok {
		return "", "", fmt.Errorf("%q is not a Guest name: an encoded name has three parts", s)
	}
	ob, err := nameEncoding.DecodeString(o)
	if err != nil {
		return "", "", fmt.Errorf("decoding the owner of %q: %w", s, err)
	}
	nb, err := nameEncoding.DecodeString(n)
	if err != nil {
		return "", "", fmt.Errorf("decoding the name of %q: %w", s, err)
	}
	owner, name = string(ob), string(nb)
	if err := ValidateNames(owner, name); err != nil {
		return "", "", fmt.Errorf("decoding %q: %w", s, err)
	}
	if ResourceName(owner, name) != s {
		return "", "", fmt.Errorf("%q is not a Guest name: %s+%s is written %s", s, owner, name, ResourceName(owner, name))
	}
	return owner, name, nil
}

// LabelValue is name, a Guest's metadata name, as a label value (at most 63
// characters): the name itself when it fits, else its first 46 characters, a
// dash and 16 hex digits of its SHA-256.
func LabelValue(name string) string {
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:46], ".-") + "-" + hex.EncodeToString(sum[:8])
}

// Login is the vmhost login of the guest: OWNER for the default guest,
// OWNER+NAME for a named one.
func (s GuestSpec) Login() string {
	if s.Name == s.Owner || s.Name == "" {
		return s.Owner
	}
	return s.Owner + "+" + s.Name
}

// StorageClassOrDefault is the guest's storage class, local when unset.
func (s GuestSpec) StorageClassOrDefault() StorageClass {
	if s.Storage.Class == "" {
		return StorageLocal
	}
	return s.Storage.Class
}

// NameProblem says what is wrong with g's metadata name, which must be
// ResourceName of its owner and name, or "".
func (g *Guest) NameProblem() string {
	if want := ResourceName(g.Spec.Owner, g.Spec.Name); g.Name != want {
		return fmt.Sprintf("a Guest of %s must be named %s, not %s: create it again under that name", g.Spec.Login(), want, g.Name)
	}
	return ""
}
