package main

import (
	"context"
	"fmt"
	"os"

	"vmhost/admin"
)

// guestAutostart runs `vmhostd guest autostart NAME on|off|default`.
func guestAutostart(args []string) int {
	c := newAdminCommand("guest autostart", "vmhostd guest autostart NAME on|off|default --config FILE",
		"Sets whether the guest starts when the daemon starts (after a reboot, for\ninstance), and keeps it in its guest.json: on or off whatever its owner's\nautostart is, or default for its owner's again (autostart: of the user in\nthe config, else of defaults:).\n", false)
	if code := c.parse(args, 2, 2); code >= 0 {
		return code
	}
	on, err := parseAutostart(c.args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		g, err := cl.SetAutostart(ctx, c.args[0], on)
		if err == nil {
			fmt.Printf("guest %s: autostart %s\n", g.ID, autostartText(g))
		}
		return err
	})
}

// parseAutostart reads on, off or default (nil).
func parseAutostart(word string) (*bool, error) {
	switch word {
	case "on":
		return new(true), nil
	case "off":
		return new(false), nil
	case "default":
		return nil, nil
	}
	return nil, fmt.Errorf("autostart %q: write on, off, or default for the owner's setting", word)
}

// autostartText renders a guest's autostart and where it comes from.
func autostartText(g admin.Guest) string {
	on := map[bool]string{true: "on", false: "off"}[g.Autostart]
	if g.AutostartOwn {
		return on + " (the guest's own)"
	}
	return on + " (its owner's)"
}
