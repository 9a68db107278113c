package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"

	"vmhost/web"
)

// webDaemon starts a daemon with the browser terminal on a port of its
// own (HTTPS, with the self-signed certificate), and returns it with the
// terminal's base URL. It skips the test without chromium or without the
// page built (make web-assets).
func webDaemon(t *testing.T, extra ...string) (*daemon, string) {
	t.Helper()
	if !web.Built() {
		t.Skip("the browser terminal's page is not built: make web-assets (npm) builds it")
	}
	d := prepareDaemon(t, daemonOptions{})
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	d.writeConfig(t, d.cfg.yaml()+"web:\n  listen: "+addr+"\n"+strings.Join(extra, ""))
	d.start(t)
	return d, "https://" + addr
}

// chromiumPath is Debian's chromium, or the test is skipped.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is needed for the browser tests: not found in PATH (make deps installs it)")
	}
	return p
}

// browser starts a headless chromium of the test's own (its profile in a
// temporary directory), that accepts the daemon's self-signed
// certificate, and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.NoSandbox, // the tests run as root
		chromedp.WindowSize(1000, 700),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// networkChanged reports an error of chromium aborting what it did
// because the host's network changed: guests' veths come and go on the
// test machine (also other tests' guests), and chromium watches.
func networkChanged(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") || strings.Contains(err.Error(), "Failed to fetch"))
}

// do runs chromedp actions with a timeout, failing the test on error; a
// run that the host's network changing aborted is run again.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := chromedp.Do(tctx, actions...)
		cancel()
		if networkChanged(err) && try < 3 {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return
	}
}

// eval evaluates a script in the page, awaiting the promise it may
// return, failing the test on error.
func eval[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		v, err := chromedp.Run(tctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
		cancel()
		if networkChanged(err) && try < 3 {
			continue
		}
		if err != nil {
			t.Fatalf("evaluating %s: %v", script, err)
		}
		return v
	}
}

// webLinkRE matches the link ":web" prints.
var webLinkRE = regexp.MustCompile(`https?://\S+/login#([A-Za-z0-9_-]{43})`)

// webLink asks for a link over SSH, as login, without a terminal.
func webLink(t *testing.T, d *daemon, login string) (link, token string) {
	t.Helper()
	out, errOut, code := d.ssh(t, login, ":web")
	m := webLinkRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("ssh %s :web: exit %d, no link in %q (stderr %q)", login, code, out, errOut)
	}
	return m[0], m[1]
}

// screenText is the terminal's text as the page shows it.
func screenText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.querySelector('.xterm-rows').innerText`)
}

// waitScreen waits until the page's terminal shows want.
func waitScreen(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	var text string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if text = screenText(t, ctx); strings.Contains(text, want) {
			return
		}
	}
	t.Fatalf("the browser's terminal does not show %q; it shows:\n%s", want, text)
}

// typeKeys types text into the page's terminal: its characters as a
// keyboard's input method gives them (Input.insertText), each "\r" as the
// Enter key, down and up. (chromedp.KeyEvent adds a char event to each key
// down, which a browser would not send after xterm.js cancelled the key:
// keys would come twice.)
func typeKeys(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	do(t, ctx, "typing "+text, chromedp.Focus(chromedp.CSS(".xterm-helper-textarea")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for i, part := range strings.Split(text, "\r") {
				if i > 0 {
					for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
						k := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
						if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, k); err != nil {
							return err
						}
					}
				}
				if part != "" {
					if _, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: part}); err != nil {
						return err
					}
				}
			}
			return nil
		}))
}

// attachedSession waits for the page to be attached and returns the
// session's number.
func attachedSession(t *testing.T, ctx context.Context) string {
	t.Helper()
	wait := func() error {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(`body[data-session]`)))
	}
	err := wait()
	if err != nil {
		// Chromium drops requests in flight whenever the host's interfaces
		// change (ERR_NETWORK_CHANGED), which the tests running beside
		// this one do all the time: a user would reload, so does the test,
		// once.
		t.Logf("the terminal did not attach (%v; the page says %q): reloading it once", err, eval[string](t, ctx, `document.body.innerText`))
		do(t, ctx, "reloading the page", chromedp.Reload())
		err = wait()
	}
	if err != nil {
		t.Fatalf("the terminal did not attach: %v; the page %s says %q", err, eval[string](t, ctx, `location.href`), eval[string](t, ctx, `document.body.innerText`))
	}
	return eval[string](t, ctx, `document.body.dataset.session`)
}

func TestWebTerminal(t *testing.T) {
	ctx := browser(t)
	d, base := webDaemon(t)
	link, token := webLink(t, d, "alice")
	if !strings.HasPrefix(link, base+"/login#") {
		t.Fatalf("link %q does not start with %s/login#", link, base)
	}
	do(t, ctx, "opening the link", chromedp.Navigate(link))
	n := attachedSession(t, ctx)
	typeKeys(t, ctx, "echo hi-$((6*7))\r")
	waitScreen(t, ctx, "hi-42")
	shot(t, ctx, "web-terminal.png")
	if blocked := eval[int](t, ctx, `[...document.querySelectorAll('style')].filter(s => !s.sheet).length`); blocked != 0 {
		t.Errorf("the page's CSP blocks %d of xterm.js's style elements: no colours, no cursor", blocked)
	}

	t.Run("reconnects after the WebSocket drops", func(t *testing.T) {
		eval[bool](t, ctx, `window.dropped = window.vmhostSocket(); window.dropped.close(); true`)
		back := false
		for end := time.Now().Add(20 * time.Second); !back && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			back = eval[bool](t, ctx, `window.vmhostSocket() !== window.dropped && window.vmhostSocket().readyState === 1 && !!document.body.dataset.session`)
		}
		if !back {
			t.Fatal("the page did not reconnect")
		}
		if got := attachedSession(t, ctx); got != n {
			t.Errorf("reconnected to session %s, want %s", got, n)
		}
		typeKeys(t, ctx, "echo again-$((1+1))\r")
		waitScreen(t, ctx, "again-2")
		if !strings.Contains(screenText(t, ctx), "hi-42") {
			t.Error("the screen before the drop is gone")
		}
	})

	t.Run("a session started in the browser is reattached with ssh -t, and back", func(t *testing.T) {
		typeKeys(t, ctx, "X=from-web\r")
		do(t, ctx, "leaving the page", chromedp.Navigate("about:blank"))
		term := d.sshPTY(t, "alice", 24, 80)
		term.expect(regexp.MustCompile(`reattached to session `+n), 20*time.Second)
		if got := term.run(`echo $X`); got != "from-web" {
			t.Errorf("echo $X over ssh = %q, want from-web", got)
		}
		term.write("Y=from-ssh\r")
		term.run("true")
		term.cmd.Process.Kill()
		term.wait(10 * time.Second)
		time.Sleep(500 * time.Millisecond) // the daemon sees the drop
		do(t, ctx, "opening the terminal again", chromedp.Navigate(base+"/"))
		if got := attachedSession(t, ctx); got != n {
			t.Errorf("the page attached session %s, want %s (the one ssh left)", got, n)
		}
		typeKeys(t, ctx, "echo $Y-$X\r")
		waitScreen(t, ctx, "from-ssh-from-web")
		eval[bool](t, ctx, `document.getElementById('list').click(); true`)
		do(t, ctx, "listing the sessions", chromedp.WaitReady(chromedp.CSS(`#session-rows button[data-attach="`+n+`"]`)))
		shot(t, ctx, "web-sessions.png")
	})

	t.Run("a used token is refused", func(t *testing.T) {
		bctx := browser(t)
		do(t, bctx, "opening a used link", chromedp.Navigate(link), chromedp.WaitReady(chromedp.CSS(`#message[data-refused]`)))
		msg := eval[string](t, bctx, `document.getElementById('message').textContent`)
		if !strings.Contains(msg, "used or expired") {
			t.Errorf("a used link says %q", msg)
		}
	})

	t.Run("another user's guest is refused", func(t *testing.T) {
		status := eval[int](t, ctx, `fetch('/api/sessions?login=bob').then(r => r.status)`)
		opened := eval[string](t, ctx, `fetch('/api/me').then(r => r.json()).then(me => new Promise(res => {
				const ws = new WebSocket('wss://' + location.host + '/api/terminal?session=new&login=bob&csrf=' + encodeURIComponent(me.csrf));
				ws.onopen = () => res('open'); ws.onerror = () => res('refused'); }))`)
		if status != http.StatusForbidden || opened != "refused" {
			t.Errorf("bob's guest from alice's browser: sessions %d, WebSocket %s; want 403 and refused", status, opened)
		}
		mine := eval[string](t, ctx, `fetch('/api/me').then(r => r.json()).then(me => new Promise(res => {
				const ws = new WebSocket('wss://' + location.host + '/api/terminal?session=`+n+`&login=alice&csrf=' + encodeURIComponent(me.csrf));
				ws.onopen = () => { res('open'); ws.close(); }; ws.onerror = () => res('refused'); }))`)
		if mine != "open" {
			t.Errorf("alice's own guest: WebSocket %s, want open (the refusal above must be for the guest)", mine)
		}
	})

	t.Run("a cross-origin WebSocket and a missing CSRF token are refused", func(t *testing.T) {
		cookie, csrf := browserSecrets(t, ctx)
		tests := []struct {
			name, origin, csrf string
			ok                 bool
		}{
			{"same origin with the CSRF token", base, csrf, true},
			{"another origin", "https://evil.example", csrf, false},
			{"no origin", "", csrf, false},
			{"no CSRF token", base, "", false},
			{"a wrong CSRF token", base, "x" + csrf, false},
		}
		for _, tt := range tests {
			err := dialTerminal(base, n, cookie, tt.origin, tt.csrf)
			if (err == nil) != tt.ok {
				t.Errorf("%s: dial error %v, want ok %v", tt.name, err, tt.ok)
			}
		}
		code := eval[int](t, ctx, `fetch('/api/me').then(r => r.json()).then(me => new Promise(res => {
				const ws = new WebSocket('wss://' + location.host + '/api/terminal?session=`+n+`&login=alice&csrf=' + encodeURIComponent(me.csrf));
				ws.onopen = () => ws.send(new Uint8Array(100000)); ws.onclose = (ev) => res(ev.code); }))`)
		if code != int(websocket.StatusMessageTooBig) {
			t.Errorf("a 100000-byte message: closed with %d, want %d (message too big)", code, websocket.StatusMessageTooBig)
		}
		req, _ := http.NewRequest("POST", base+"/api/logout", nil)
		req.Header.Set("Origin", base)
		req.AddCookie(cookie)
		resp, err := insecureClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("logout without the CSRF token: %d, want 403", resp.StatusCode)
		}
	})

	t.Run(":web on a terminal, for another guest", func(t *testing.T) {
		term := d.sshPTY(t, "alice+box", 24, 80, ":web")
		boxLink := term.expect(webLinkRE, 20*time.Second)[0]
		term.wait(10 * time.Second)
		bctx := browser(t)
		do(t, bctx, "opening the link", chromedp.Navigate(boxLink))
		attachedSession(t, bctx)
		if got := eval[string](t, bctx, `document.getElementById('guest').value`); got != "alice+box" {
			t.Errorf("the picker shows %q, want alice+box", got)
		}
		typeKeys(t, bctx, "echo h-$(hostname)\r")
		waitScreen(t, bctx, "h-box")
	})

	t.Run("vmhostd web revoke ends the browser sessions", func(t *testing.T) {
		do(t, ctx, "opening the terminal", chromedp.Navigate(base+"/"))
		attachedSession(t, ctx)
		res := d.admin(t, "", "web", "revoke", "alice")
		if res.code != 0 || !strings.Contains(res.stdout, "revoked 2 browser session(s) of alice") {
			t.Fatalf("vmhostd web revoke alice: exit %d, %q %q", res.code, res.stdout, res.stderr)
		}
		do(t, ctx, "waiting for the page to see it", chromedp.WaitReady(chromedp.CSS(`body[data-logged-out]`)))
		if st := eval[int](t, ctx, `fetch('/api/me').then(r => r.status)`); st != http.StatusUnauthorized {
			t.Errorf("/api/me after revoke: %d, want 401", st)
		}
		term := d.sshPTY(t, "alice", 24, 80)
		term.expect(regexp.MustCompile(`reattached to session `+n), 20*time.Second)
	})

	log := d.log()
	if strings.Contains(log, token) {
		t.Error("the daemon's log holds a login token")
	}
	for _, want := range []string{`msg="web link" audit=true`, `msg="web login" audit=true via=web outcome=ok user=alice`, `via=web kind=shell`, `msg="session reattached"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the daemon's log has no %s", want)
		}
	}
}

// browserSecrets returns the page's session cookie (HttpOnly: read
// through the browser's debugging protocol) and its CSRF token.
func browserSecrets(t *testing.T, ctx context.Context) (*http.Cookie, string) {
	t.Helper()
	res, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
	})
	if err != nil {
		t.Fatalf("reading the cookies: %v", err)
	}
	csrf := eval[string](t, ctx, `fetch('/api/me').then(r => r.json()).then(me => me.csrf)`)
	cookies := res.Cookies
	for _, c := range cookies {
		if c.Name == "__Host-vmhost" {
			if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("cookie %+v: want HttpOnly, Secure, SameSite=Strict", c)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}, csrf
		}
	}
	t.Fatalf("no session cookie in the browser: %v", cookies)
	return nil, ""
}

// dialTerminal opens a terminal WebSocket to session n of alice's guest
// with cookie, from origin (none when empty) and with csrf.
func dialTerminal(base, n string, cookie *http.Cookie, origin, csrf string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Cookie": {cookie.String()}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	u := strings.Replace(base, "https", "wss", 1) + "/api/terminal?login=alice&session=" + n + "&csrf=" + csrf
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: insecureClient(), HTTPHeader: h})
	if err != nil {
		return err
	}
	c.Close(websocket.StatusNormalClosure, "")
	return nil
}

// insecureClient trusts any certificate: the daemon's is self-signed.
func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// shot saves a screenshot of the page as docs/NAME when VMHOST_SCREENSHOTS
// is set.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("VMHOST_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
		t.Error(err)
	}
}

func TestWebDashboard(t *testing.T) {
	student, teacher := browser(t), browser(t)
	d, base := webDaemon(t, "classes:\n  net101:\n    teachers: [bob]\n    students: [alice]\n")
	aliceLink, _ := webLink(t, d, "alice")
	do(t, student, "opening alice's link", chromedp.Navigate(aliceLink))
	n := attachedSession(t, student)
	typeKeys(t, student, "echo before-$((1+1))\r")
	waitScreen(t, student, "before-2")

	bobLink, _ := webLink(t, d, "bob")
	do(t, teacher, "opening bob's link", chromedp.Navigate(bobLink))
	attachedSession(t, teacher)
	do(t, teacher, "opening the dashboard", chromedp.Navigate(base+"/dashboard"))
	waitLoaded(t, teacher, "alice's session on the dashboard", `button[data-watch="alice/`+n+`"]`)
	row := eval[string](t, teacher, `document.querySelector('tr[data-login="alice"]').innerText`)
	if !strings.Contains(row, "running") || !strings.Contains(row, "(attached)") {
		t.Errorf("alice's row on the dashboard: %q; want running, her session attached", row)
	}

	eval[bool](t, teacher, `document.querySelector('button[data-watch="alice/`+n+`"]').click(); true`)
	do(t, teacher, "watching", chromedp.WaitReady(chromedp.CSS(`body[data-watching]`)))
	waitScreen(t, teacher, "before-2")
	waitScreen(t, student, "bob (teacher) is watching")
	typeKeys(t, student, "echo watched-$((2+3))\r")
	waitScreen(t, teacher, "watched-5")
	shot(t, teacher, "web-watch.png")
	typeKeys(t, teacher, "echo not-typed-$((1+1))\r")
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(screenText(t, student), "not-typed-2") {
		t.Error("a watcher's keys reached the session")
	}

	eval[bool](t, teacher, `document.querySelector('button[data-join="alice/`+n+`"]').click(); true`)
	do(t, teacher, "joining", chromedp.WaitReady(chromedp.CSS(`body[data-watching]`)))
	waitScreen(t, student, "joined")
	typeKeys(t, teacher, "echo joined-$((3+4))\r")
	waitScreen(t, student, "joined-7")

	if got := eval[string](t, student, `fetch('/api/classes').then(r => r.json()).then(JSON.stringify)`); got != "[]" {
		t.Errorf("alice's classes: %s, want none", got)
	}
	opened := eval[string](t, student, `fetch('/api/me').then(r => r.json()).then(me => new Promise(res => {
		const ws = new WebSocket('wss://' + location.host + '/api/watch?session=`+n+`&login=alice&csrf=' + encodeURIComponent(me.csrf));
		ws.onopen = () => res('open'); ws.onerror = () => res('refused'); }))`)
	if opened != "refused" {
		t.Errorf("alice watching her own session from the dashboard's endpoint: %s, want refused (teachers only)", opened)
	}
	if log := d.log(); !strings.Contains(log, `msg="session watched"`) || !strings.Contains(log, `msg="session joined"`) {
		t.Error("the daemon's log has no audit line of the watching and joining")
	}
}

// TestWebAcrossRestart restarts the daemon under an open page: the
// browser session is kept (data_dir/web-sessions.json), the page attaches
// again to the session the daemon kept; a revoked browser session stays
// revoked across a restart.
func TestWebAcrossRestart(t *testing.T) {
	ctx := browser(t)
	d, _ := webDaemon(t)
	link, _ := webLink(t, d, "alice")
	do(t, ctx, "opening the link", chromedp.Navigate(link))
	n := attachedSession(t, ctx)
	typeKeys(t, ctx, "X=kept-$((6*7)); cd /tmp\r")
	typeKeys(t, ctx, "echo set-$X\r")
	waitScreen(t, ctx, "set-kept-42")
	eval[bool](t, ctx, `window.before = window.vmhostSocket(); true`)
	d.kill9(t)
	d.start(t)
	back := false
	for end := time.Now().Add(30 * time.Second); !back && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		back = eval[bool](t, ctx, `window.vmhostSocket() !== window.before && window.vmhostSocket().readyState === 1 && !!document.body.dataset.session`)
	}
	if !back {
		t.Fatalf("the page did not attach again after the restart; it shows %q", eval[string](t, ctx, `document.body.innerText`))
	}
	if got := attachedSession(t, ctx); got != n {
		t.Errorf("after the restart the page attached session %s, want %s", got, n)
	}
	typeKeys(t, ctx, "echo $X-$PWD\r")
	waitScreen(t, ctx, "kept-42-/tmp")
	if !strings.Contains(d.log(), `msg="session adopted"`) {
		t.Error("no audit line of the session taken over")
	}
	st, err := os.Stat(filepath.Join(d.cfg.dataDir, "web-sessions.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("data_dir/web-sessions.json: %v, %v; want it, mode 0600", st, err)
	}

	if res := d.admin(t, "", "web", "revoke", "alice"); res.code != 0 {
		t.Fatalf("vmhostd web revoke alice: exit %d, %q", res.code, res.stderr)
	}
	d.kill9(t)
	d.start(t)
	if st := eval[int](t, ctx, `fetch('/api/me').then(r => r.status)`); st != http.StatusUnauthorized {
		t.Errorf("/api/me of a revoked browser session after a restart: %d, want 401", st)
	}
}

// TestWebBehindAProxy serves the terminal over plain HTTP on a loopback
// address, behind a reverse proxy (of the test's) that sends the daemon
// its own Host: web.url is what the browser sees.
func TestWebBehindAProxy(t *testing.T) {
	ctx := browser(t)
	if !web.Built() {
		t.Skip("the browser terminal's page is not built: make web-assets (npm) builds it")
	}
	d := prepareDaemon(t, daemonOptions{})
	port := freePort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, proxyPort, _ := net.SplitHostPort(ln.Addr().String())
	target := &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
	proxy := &http.Server{Handler: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }}}
	go proxy.Serve(ln)
	t.Cleanup(func() { proxy.Close() })
	d.writeConfig(t, d.cfg.yaml()+fmt.Sprintf("web:\n  listen: 127.0.0.1:%d\n  insecure: true\n  url: http://localhost:%s\n", port, proxyPort))
	d.start(t)
	link, _ := webLink(t, d, "alice")
	if want := "http://localhost:" + proxyPort + "/login#"; !strings.HasPrefix(link, want) {
		t.Fatalf("link %q, want it to start with web.url: %s", link, want)
	}
	do(t, ctx, "opening the link", chromedp.Navigate(link))
	attachedSession(t, ctx)
	typeKeys(t, ctx, "echo proxied-$((6*7))\r")
	waitScreen(t, ctx, "proxied-42")
}

// TestWebPhone opens the terminal on a phone-sized screen: the page fits
// its width, the terminal follows it, and the bar's controls are reached
// with the keyboard.
func TestWebPhone(t *testing.T) {
	ctx := browser(t)
	d, _ := webDaemon(t)
	link, _ := webLink(t, d, "alice")
	do(t, ctx, "opening the link on a phone", chromedp.EmulateViewport(390, 800, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(link))
	attachedSession(t, ctx)
	typeKeys(t, ctx, "echo small-$((6*7))\r")
	waitScreen(t, ctx, "small-42")
	if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("the page is %dpx wider than a phone's screen", over)
	}
	if width := eval[int](t, ctx, `Math.floor(document.querySelector('.xterm-screen').getBoundingClientRect().width)`); width > 390 {
		t.Errorf("the terminal is %dpx wide on a 390px screen", width)
	}
	active := func() string {
		return eval[string](t, ctx, `document.activeElement.id || document.activeElement.className`)
	}
	do(t, ctx, "pressing F6 in the terminal", chromedp.KeyEvent(kb.F6))
	focused := []string{active()}
	for range 3 {
		do(t, ctx, "pressing Tab", chromedp.KeyEvent(kb.Tab))
		focused = append(focused, active())
	}
	if want := []string{"guest", "new", "list", "logout"}; !slices.Equal(focused, want) {
		t.Errorf("F6, then Tab from the terminal reach %v; want %v", focused, want)
	}
	do(t, ctx, "pressing F6 in the bar", chromedp.KeyEvent(kb.F6))
	if got := active(); got != "xterm-helper-textarea" {
		t.Errorf("F6 in the bar focuses %q, want the terminal", got)
	}
}
