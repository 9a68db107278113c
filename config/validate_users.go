package config

import (
	"bytes"
	"fmt"
	"strings"
	"vmhost/authkeys"

	"golang.org/x/crypto/ssh"
)

// checkDefaults wants defaults.image defined and max_guests at least 1.
func checkDefaults(v *validator) {
	checkImageRef(v, "defaults.image", v.c.Defaults.Image)
	if v.c.Defaults.MaxGuests < 1 {
		v.addf("defaults.max_guests", "%d is too few; every user needs at least 1 guest", v.c.Defaults.MaxGuests)
	}
}

// checkImageRef wants name to be an image defined under images.
func checkImageRef(v *validator, path, name string) {
	if _, ok := v.c.Images[name]; !ok {
		v.addf(path, "no image named %q; define it under images: or use one of %s",
			name, strings.Join(sortedKeys(v.c.Images), ", "))
	}
}

// checkUsers wants every user named well, with keys, and overrides that make
// sense; no user at all only in the cluster agent role, whose logins come
// from gateways.
func checkUsers(v *validator) {
	if len(v.c.Users) == 0 && !v.c.Cluster.Enabled() {
		v.addf("users", "no user is defined, so no one could log in; add at least one, such as "+
			"users: {alice: {keys: [\"ssh-ed25519 AAAA... alice@laptop\"]}}")
	}
	for _, name := range sortedKeys(v.c.Users) {
		path := "users." + name
		u := v.c.Users[name]
		if !userName.MatchString(name) {
			v.addf(path, "%q is not a valid user name; use up to 32 lower-case letters, digits, '_' and '-', "+
				"starting with a letter or '_' (no '+' or '.': alice+web names alice's guest web)", name)
		}
		checkKeys(v, name, u)
		if u.Image != "" {
			checkImageRef(v, path+".image", u.Image)
		}
		if u.MaxGuests < 0 {
			v.addf(path+".max_guests", "%d is negative; write 1 or more, or leave it out for defaults.max_guests (%d)",
				u.MaxGuests, v.c.Defaults.MaxGuests)
		}
	}
}

// checkKeys wants a user to have keys, each a valid authorized_keys line,
// unless certificates from ssh.trusted_user_ca_keys are their way in.
func checkKeys(v *validator, name string, u User) {
	path := "users." + name
	if len(u.Keys) == 0 && u.AuthorizedKeysFile == "" && v.c.SSH.TrustedUserCAKeys == "" {
		v.addf(path, "has no way to log in; add keys: [\"ssh-ed25519 AAAA... you@laptop\"] or authorized_keys_file: /home/%s/.ssh/authorized_keys, or set ssh.trusted_user_ca_keys to log in with certificates",
			name)
	}
	for i, line := range u.Keys {
		if msg := keyProblem(line); msg != "" {
			v.addf(fmt.Sprintf("%s.keys[%d]", path, i), "%s", msg)
		}
	}
}

// keyProblem says what is wrong with an authorized_keys line, or "".
func keyProblem(line string) string {
	if strings.Contains(line, "PRIVATE KEY") {
		return "this is a private key; paste the public key instead (the .pub file), and keep the private one secret"
	}
	_, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return fmt.Sprintf("not an SSH public key line (%s); paste one line of a .pub file, like \"ssh-ed25519 AAAAC3Nz... alice@laptop\"",
			oneLine(err.Error()))
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return "holds more than one line; give each key its own list item"
	}
	if _, err := authkeys.ParseLine(line); err != nil {
		return oneLine(err.Error())
	}
	return ""
}
