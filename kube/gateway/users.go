package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"vmhost/config"
	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/sshgate"
)

// SecretUsers is the users of a cluster, from a Secret: each data key is a
// user name and its value that user's authorized_keys lines (with their
// options, as on a single host). It is read again every refresh, so adding
// a user or a key needs no restart of the gateways.
type SecretUsers struct {
	// Client reads the Secret Name in Namespace.
	Client          client.Reader
	Namespace, Name string
	// Log receives what is wrong with the Secret; nil discards it.
	Log   *slog.Logger
	store atomic.Pointer[sshgate.KeyStore]
}

var _ sshgate.Users = (*SecretUsers)(nil)

// Authorize implements sshgate.Users; before the Secret was read once,
// nobody is known.
func (u *SecretUsers) Authorize(user string, key ssh.PublicKey, source netip.Addr) (sshgate.Grant, error) {
	ks := u.store.Load()
	if ks == nil {
		return sshgate.Grant{}, sshgate.ErrUnknownUser
	}
	return ks.Authorize(user, key, source)
}

// Refresh reads the Secret and replaces the users with its own. A user
// whose name breaks vmhost's rule is left out and logged.
func (u *SecretUsers) Refresh(ctx context.Context) error {
	var s corev1.Secret
	if err := u.Client.Get(ctx, types.NamespacedName{Namespace: u.Namespace, Name: u.Name}, &s); err != nil {
		return fmt.Errorf("reading the users' Secret %s/%s: %w", u.Namespace, u.Name, err)
	}
	users := make(map[string]config.User, len(s.Data))
	for name, data := range s.Data {
		if err := v1alpha1.ValidateNames(name, name); err != nil {
			u.log().Warn("users' Secret: a key that is no user name is left out", "key", name, "err", err)
			continue
		}
		users[name] = config.User{Keys: keyLines(string(data))}
	}
	u.store.Store(sshgate.NewKeyStore(users, "", u.log()))
	return nil
}

// Run refreshes the users every interval until ctx ends; a failed read
// keeps the users read last.
func (u *SecretUsers) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := u.Refresh(ctx); err != nil && ctx.Err() == nil {
			u.log().Error("the users are kept as they were", "err", err)
		}
	}
}

func (u *SecretUsers) log() *slog.Logger {
	if u.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return u.Log
}

// keyLines is the authorized_keys lines of text, without blank lines and
// comments.
func keyLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
