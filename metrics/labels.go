package metrics

// guestLabelNames are the labels of every per-guest series, in the order
// guestLabels gives their values. A label added here (a guest's class, say)
// is added to guestLabels too, and to Guest.
var guestLabelNames = []string{"guest", "owner", "class"}

// guestLabels returns the values of guestLabelNames for g.
func guestLabels(g *Guest) []string {
	return []string{g.ID, g.Owner, g.Class}
}
