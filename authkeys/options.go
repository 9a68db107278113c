package authkeys

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Line is one parsed authorized_keys line.
type Line struct {
	Key        ssh.PublicKey
	Comment    string
	Options    Options
	HasOptions bool // the line had options, even ones that change nothing
}

// Options are a line's options: who may use the key, and what it may do.
type Options struct {
	// CertAuthority makes the line's key a certificate authority: it admits
	// user certificates it signed, not itself.
	CertAuthority bool
	// Principals, with CertAuthority, are the certificate principals
	// accepted; nil accepts a certificate naming the user.
	Principals []string
	// From are the source address patterns the key may come from (see
	// MatchFrom); nil allows any.
	From []string
	// Expiry is when the key stops being accepted; zero never.
	Expiry time.Time
	// Restrict is what a login with the key may do.
	Restrict Restrictions
}

// ErrUnknownOption marks a line with an option vmhost does not know or
// cannot honour; such a line admits nothing.
var ErrUnknownOption = errors.New("unsupported option")

// ParseLine parses one authorized_keys line, options included. A line with
// an option that cannot be honoured is an error wrapping ErrUnknownOption,
// so that it is refused rather than accepted without its restriction.
func ParseLine(line string) (Line, error) {
	key, comment, opts, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return Line{}, fmt.Errorf("parsing public key: %w", err)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return Line{}, errors.New("more than one key on the line")
	}
	o, err := parseOptions(opts)
	if err != nil {
		return Line{}, err
	}
	if _, isCert := key.(*ssh.Certificate); isCert {
		return Line{}, errors.New("a certificate is not an authorized key; list its CA with cert-authority")
	}
	return Line{Key: key, Comment: comment, Options: o, HasOptions: len(opts) > 0}, nil
}

// parseOptions reads the options of a line, in order: "restrict" first
// turns everything off, and pty, port-forwarding and agent-forwarding after
// it turn one thing back on.
func parseOptions(raw []string) (Options, error) {
	var o Options
	for _, opt := range raw {
		name, value, hasValue := strings.Cut(opt, "=")
		if hasValue {
			v, err := unquote(value)
			if err != nil {
				return Options{}, fmt.Errorf("option %s: %w", name, err)
			}
			value = v
		}
		if err := o.set(strings.ToLower(name), value, hasValue); err != nil {
			return Options{}, err
		}
	}
	if len(o.Principals) > 0 && !o.CertAuthority {
		return Options{}, errors.New("option principals= needs cert-authority")
	}
	return o, nil
}

// set applies one option.
func (o *Options) set(name, value string, hasValue bool) error {
	if flag, ok := flags[name]; ok {
		if hasValue {
			return fmt.Errorf("option %s takes no value", name)
		}
		flag(o)
		return nil
	}
	valued, ok := valuedOptions[name]
	if !ok {
		return fmt.Errorf("%w %q (vmhost honours restrict, from=, expiry-time=, no-port-forwarding, no-agent-forwarding, no-pty, permitopen=, permitlisten=, command=, cert-authority, principals=)", ErrUnknownOption, name)
	}
	if !hasValue {
		return fmt.Errorf("option %s needs a value: %s=\"...\"", name, name)
	}
	return valued(o, value)
}

// flags are the options without a value. X11 and user-rc mean nothing here
// (neither is ever offered), so turning them off or on changes nothing;
// no-touch-required only relaxes a FIDO key's check, so ignoring it is
// safe.
var flags = map[string]func(*Options){
	"cert-authority":      func(o *Options) { o.CertAuthority = true },
	"restrict":            func(o *Options) { o.Restrict.restrictAll() },
	"no-pty":              func(o *Options) { o.Restrict.NoPTY = true },
	"pty":                 func(o *Options) { o.Restrict.NoPTY = false },
	"no-port-forwarding":  func(o *Options) { o.Restrict.NoPortForwarding = true },
	"port-forwarding":     func(o *Options) { o.Restrict.NoPortForwarding = false },
	"no-agent-forwarding": func(o *Options) { o.Restrict.NoAgentForwarding = true },
	"agent-forwarding":    func(o *Options) { o.Restrict.NoAgentForwarding = false },
	"no-x11-forwarding":   func(*Options) {},
	"x11-forwarding":      func(*Options) {},
	"no-user-rc":          func(*Options) {},
	"user-rc":             func(*Options) {},
	"no-touch-required":   func(*Options) {},
}

// valuedOptions are the options with a value.
var valuedOptions = map[string]func(*Options, string) error{
	"command": func(o *Options, v string) error {
		if o.Restrict.Command != "" {
			return errors.New("option command= given twice")
		}
		o.Restrict.Command = v
		return nil
	},
	"from": func(o *Options, v string) error {
		pats, err := parseFrom(v)
		o.From = pats
		return err
	},
	"expiry-time": func(o *Options, v string) error {
		t, err := ParseExpiry(v)
		o.Expiry = t
		return err
	},
	"permitopen": func(o *Options, v string) error {
		if err := checkHostPort(v, true); err != nil {
			return fmt.Errorf("option permitopen=%q: %w", v, err)
		}
		o.Restrict.PermitOpen = append(o.Restrict.PermitOpen, v)
		return nil
	},
	"permitlisten": func(o *Options, v string) error {
		if err := checkHostPort(v, false); err != nil {
			return fmt.Errorf("option permitlisten=%q: %w", v, err)
		}
		o.Restrict.PermitListen = append(o.Restrict.PermitListen, v)
		return nil
	},
	"principals": func(o *Options, v string) error {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				o.Principals = append(o.Principals, p)
			}
		}
		if len(o.Principals) == 0 {
			return errors.New("option principals= is empty")
		}
		return nil
	},
}

// unquote reads an option's value: a double-quoted string in which \"
// stands for a quote, as sshd reads it.
func unquote(v string) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", errors.New("value must be in double quotes")
	}
	return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`), nil
}
