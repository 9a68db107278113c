package admin

import (
	"context"
	"net/http"
)

// ClusterGuests lists the guests assigned to this node, with their state
// and addresses.
func (c *Client) ClusterGuests(ctx context.Context) ([]ClusterGuest, error) {
	var out []ClusterGuest
	return out, c.do(ctx, http.MethodGet, "/v1/cluster/guests", nil, &out)
}

// Assign assigns a guest to this node, or changes its assignment, and
// returns it as listed.
func (c *Client) Assign(ctx context.Context, a ClusterAssign) (ClusterGuest, error) {
	var out ClusterGuest
	return out, c.do(ctx, http.MethodPost, "/v1/cluster/assign", a, &out)
}

// Unassign drops a guest's assignment: it is stopped, and its files
// removed when u.Remove is set.
func (c *Client) Unassign(ctx context.Context, u ClusterUnassign) (Unassigned, error) {
	var out Unassigned
	return out, c.do(ctx, http.MethodPost, "/v1/cluster/unassign", u, &out)
}
