package sshgate

import (
	"context"

	"vmhost/guest"
)

// Guests finds, creates and starts the guests that SSH users log into.
// guest.Manager implements it; tests use a fake.
type Guests interface {
	// Open returns the running guest name of owner, creating it from the owner's
	// image or starting it again as needed. Errors are shown to the user.
	Open(ctx context.Context, owner, name string) (Guest, error)
}

// Guest is a running guest that can start processes.
type Guest = guest.Running
