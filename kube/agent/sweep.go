package agent

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// Sweep unassigns every guest the node has whose Guest is gone, placed on
// another node, or not to run: what a missed event, or a restart of the
// agent, left behind.
func (s *Syncer) Sweep(ctx context.Context) error {
	list, err := s.Node.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the node's guests: %w", err)
	}
	for _, a := range list {
		keep, err := s.keeps(ctx, a)
		if err != nil {
			return err
		}
		if keep {
			continue
		}
		if err := s.Node.Unassign(ctx, a.Owner, a.Name); err != nil {
			return fmt.Errorf("unassigning guest %s+%s from the node: %w", a.Owner, a.Name, err)
		}
	}
	return nil
}

// keeps says whether the node is to keep the assigned guest a.
func (s *Syncer) keeps(ctx context.Context, a AssignedGuest) (bool, error) {
	var g v1alpha1.Guest
	key := client.ObjectKey{Namespace: s.Options.Namespace, Name: v1alpha1.ResourceName(a.Owner, a.Name)}
	err := s.Client.Get(ctx, key, &g)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading guest %s: %w", key.Name, err)
	}
	return wanted(&g, s.Options.NodeName), nil
}

// sweepEvery runs Sweep every interval until ctx ends; a failed sweep is
// logged and tried again at the next one.
func (s *Syncer) sweepEvery(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "sweeping the node's guests")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
