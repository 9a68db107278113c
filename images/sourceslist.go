package images

import (
	"fmt"
	"slices"
	"strings"
)

// Debian suites by how they get updates.
var (
	// unstableSuites have no -updates and no security suite.
	unstableSuites = []string{"sid", "unstable", "experimental", "rc-buggy"}
	// oldSecuritySuites have their security suite named SUITE/updates.
	oldSecuritySuites = []string{"squeeze", "wheezy", "jessie", "stretch", "buster"}
)

// sourcesList returns the /etc/apt/sources.list of an image of suite from
// mirror: main, plus SUITE-updates and the security suite where the
// distribution has them. An Ubuntu mirror (its path names ubuntu) serves
// the -updates and -security suites itself.
func sourcesList(suite, mirror, security string) string {
	var b strings.Builder
	b.WriteString("# written by vmhost when the image was built\n")
	line := func(uri, s string) { fmt.Fprintf(&b, "deb %s %s main\n", uri, s) }
	line(mirror, suite)
	switch {
	case strings.Contains(mirror, "ubuntu"):
		line(mirror, suite+"-updates")
		line(mirror, suite+"-security")
	case slices.Contains(unstableSuites, suite):
	case slices.Contains(oldSecuritySuites, suite):
		line(mirror, suite+"-updates")
		line(security, suite+"/updates")
	default:
		line(mirror, suite+"-updates")
		line(security, suite+"-security")
	}
	return b.String()
}
