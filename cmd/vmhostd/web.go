package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"vmhost/admin"
	"vmhost/config"
	"vmhost/guest"
	"vmhost/labs"
	"vmhost/sshgate"
	"vmhost/web"
)

// webHelp is the help of `vmhostd web`.
const webHelp = `Usage: vmhostd web COMMAND [flags] --config FILE

The browser terminal of the running daemon (web.listen in the config).

Commands:
  revoke USER      end every browser session of USER, their open browser
                   terminals (the sessions go on, for ssh) and their unused links

Run vmhostd web COMMAND --help for a command's flags.
`

// webCmd runs `vmhostd web ...`.
func webCmd(args []string) int {
	return subcommand("web", webHelp, args, map[string]func([]string) int{"revoke": webRevoke})
}

// webRevoke runs `vmhostd web revoke USER`.
func webRevoke(args []string) int {
	c := newAdminCommand("web revoke", "vmhostd web revoke USER --config FILE",
		"Ends every browser session of USER and the browser terminals they have open;\nthe terminal sessions go on and can be reattached over SSH.\n", false)
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		res, err := cl.RevokeWeb(ctx, c.args[0])
		if err == nil {
			fmt.Printf("revoked %d browser session(s) of %s\n", res.Sessions, res.User)
		}
		return err
	})
}

// webFront is the browser terminal of a daemon; its zero value (no
// web.listen) serves nothing.
type webFront struct {
	srv *web.Server
	ln  net.Listener
	tls *tls.Config
	log *slog.Logger
	wg  sync.WaitGroup
}

// webSessionsFile keeps the browser sessions across restarts, in data_dir.
const webSessionsFile = "web-sessions.json"

// webDash is what the dashboard and the admins' page show beyond the
// guests: the classes' check and reset, and every guest's usage.
type webDash struct {
	labs  web.Labs
	usage func() []web.GuestUsage
	seen  *labs.Seen
}

// newWebFront listens on web.listen, with the admin's certificate or the
// self-signed one kept in data_dir; nothing when web.listen is empty.
func newWebFront(cfg *config.Config, live *liveConfig, mgr *guest.Manager, dash webDash, log *slog.Logger) (*webFront, error) {
	f := &webFront{log: log}
	w := cfg.Web
	if !w.Enabled() {
		return f, nil
	}
	base, secure, err := webBase(w)
	if err != nil {
		return nil, err
	}
	if !w.Insecure {
		if f.tls, err = webTLS(cfg, log); err != nil {
			return nil, err
		}
	}
	session, token := w.Lifetimes()
	f.srv, err = web.New(web.Options{Config: live.Config, BaseURL: base, Secure: secure,
		Guests: ownedGuests(mgr), GuestStatus: guestStatus(mgr, live.conns, dash.seen), Labs: dash.labs, Usage: dash.usage,
		SessionLifetime: session, TokenLifetime: token, SessionFile: filepath.Join(cfg.DataDir, webSessionsFile), Logger: log})
	if err != nil {
		return nil, err
	}
	if f.ln, err = net.Listen("tcp", w.Listen); err != nil {
		return nil, fmt.Errorf("listening on web.listen %s: %w", w.Listen, err)
	}
	if !web.Built() {
		log.Warn("the browser terminal's page was not built into this vmhostd (make build builds it); the web listener serves a notice")
	}
	log.Info("browser terminal listening", "addr", f.ln.Addr().String(), "url", base)
	return f, nil
}

// webBase returns the base URL of the links, and whether the browser
// reaches it over HTTPS.
func webBase(w config.Web) (string, bool, error) {
	if w.URL != "" {
		u, err := url.Parse(w.URL)
		if err != nil {
			return "", false, fmt.Errorf("web.url: %w", err)
		}
		return u.Scheme + "://" + u.Host, u.Scheme == "https", nil
	}
	host, port, err := net.SplitHostPort(w.Listen)
	if err != nil {
		return "", false, fmt.Errorf("web.listen: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if host, err = os.Hostname(); err != nil {
			host = "localhost"
		}
	}
	scheme := "https"
	if w.Insecure {
		scheme = "http"
	}
	return scheme + "://" + net.JoinHostPort(host, port), !w.Insecure, nil
}

// webTLS returns the TLS configuration: web.cert and web.key, or the
// self-signed certificate kept in data_dir, whose fingerprint is logged.
func webTLS(cfg *config.Config, log *slog.Logger) (*tls.Config, error) {
	if cfg.Web.Cert != "" {
		return web.TLSConfig(cfg.WebFile(cfg.Web.Cert), cfg.WebFile(cfg.Web.Key))
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil {
		names = append(names, h)
	}
	if host, _, err := net.SplitHostPort(cfg.Web.Listen); err == nil && host != "" {
		names = append(names, host)
	}
	c, fp, err := web.SelfSigned(cfg.DataDir, names)
	if err != nil {
		return nil, err
	}
	log.Info("browser terminal: self-signed certificate", "sha256_fingerprint", fp)
	return c, nil
}

// ownedGuests lists the guests an owner has, for the browser's picker.
func ownedGuests(mgr *guest.Manager) func(owner string) []string {
	return func(owner string) []string {
		var out []string
		for _, g := range mgr.List() {
			if g.Owner == owner {
				out = append(out, g.Name)
			}
		}
		return out
	}
}

// guestStatus tells a guest's state, how many connections (SSH and
// browser) it has now and when it was last used, for the teachers'
// dashboard.
func guestStatus(mgr *guest.Manager, conns *guest.Connections, seen *labs.Seen) func(owner, name string) web.GuestStatus {
	return func(owner, name string) web.GuestStatus {
		id := guest.GuestID(owner, name)
		st := web.GuestStatus{State: "not made yet", Connected: conns.Sessions(id)}
		if info, err := mgr.Get(id); err == nil {
			st.State = info.Status
		}
		_, st.Active = seen.Last(id)
		return st
	}
}

// links returns what makes the links of ":web"; nil when off.
func (f *webFront) links() sshgate.WebLinks {
	if f.srv == nil {
		return nil
	}
	return f.srv
}

// revoker returns what revokes browser sessions for the admin API; nil
// when off.
func (f *webFront) revoker() admin.WebSessions {
	if f.srv == nil {
		return nil
	}
	return f.srv
}

// start serves the browser terminal, its terminals through terms, until
// ctx ends or the returned function is called.
func (f *webFront) start(ctx context.Context, terms web.Terminals) func() {
	if f.srv == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	f.wg.Go(func() {
		if err := f.srv.Serve(ctx, f.ln, f.tls, terms); err != nil {
			f.log.Error("browser terminal stopped", "err", err)
		}
	})
	return func() { cancel(); f.wg.Wait() }
}

// Running implements sshgate.RunningGuests: the browser takes over the
// sessions a daemon before this one kept only in guests that run.
func (g managerGuests) Running(owner, name string) bool {
	info, err := g.m.Get(guest.GuestID(owner, name))
	return err == nil && info.Running
}
