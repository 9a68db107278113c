package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vmhost/web"
)

// webLabCheck passes when /root/done is in the guest.
const webLabCheck = `#!/bin/sh
if [ -f /root/done ]; then echo "all good"; exit 0; fi
echo "FAIL: /root/done is missing"
exit 1
`

// webLabDaemon starts a daemon with the browser terminal, the class
// net101 (teacher bob, students alice and erin, the check above), carol
// an admin (web.admins) and dave neither teacher nor admin.
func webLabDaemon(t *testing.T) (*daemon, string) {
	t.Helper()
	if !web.Built() {
		t.Skip("the browser terminal's page is not built: make web-assets (npm) builds it")
	}
	d := prepareDaemon(t, daemonOptions{})
	keyDir := filepath.Join(d.baseDir, "keys")
	for _, u := range []string{"carol", "dave", "erin"} {
		d.keys[u], d.cfg.keys[u] = makeKey(t, keyDir, u)
	}
	check := filepath.Join(d.baseDir, "check.sh")
	if err := os.WriteFile(check, []byte(webLabCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	d.writeConfig(t, d.cfg.yaml()+"web:\n  listen: "+addr+"\n  admins: [carol]\n"+
		"classes:\n  net101:\n    teachers: [bob]\n    students: [alice, erin]\n    check: "+check+"\n    check_timeout: 20s\n")
	d.start(t)
	return d, "https://" + addr
}

// loggedIn opens a browser logged in as login, on page.
func loggedIn(t *testing.T, d *daemon, login, page string) context.Context {
	t.Helper()
	ctx := browser(t)
	link, _ := webLink(t, d, login)
	do(t, ctx, "opening "+login+"'s link", chromedp.Navigate(link))
	attachedSession(t, ctx)
	do(t, ctx, "opening "+page, chromedp.Navigate(strings.Replace(link, "/login", page, 1)))
	return ctx
}

// waitPage waits for the element sel on the page, failing with the page's
// text.
func waitPage(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: no %s on the page (%v); it shows:\n%s", what, sel, err, eval[string](t, ctx, `document.body.innerText`))
	}
}

// waitLoaded waits for sel on a page just opened, reloading it once when it
// does not come: this machine's chromium now and then fails to load a
// page's script (ERR_NETWORK_CHANGED), as attachedSession explains, and a
// user would reload.
func waitLoaded(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel)))
	cancel()
	if err == nil {
		return
	}
	t.Logf("%s: no %s on the page (%v; it shows %q): reloading it once", what, sel, err, eval[string](t, ctx, `document.body.innerText`))
	do(t, ctx, "reloading the page", chromedp.Reload())
	waitPage(t, ctx, what, sel)
}

// guestHas reports whether the file path is in alice's guest.
func guestHas(t *testing.T, d *daemon, path string) bool {
	t.Helper()
	out, errOut, code := d.ssh(t, "alice", "test -e "+path+" && echo yes || echo no")
	if code != 0 {
		t.Fatalf("ssh alice test -e %s: exit %d %s", path, code, errOut)
	}
	return strings.TrimSpace(out) == "yes"
}

// postAs sends a POST to base+path with the cookie of a browser, from
// this site, with csrf (none when empty) and body, and returns the status.
func postAs(t *testing.T, base, path string, cookie *http.Cookie, csrf, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Origin", base)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	req.AddCookie(cookie)
	resp, err := insecureClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebDashboardLabs(t *testing.T) {
	d, base := webLabDaemon(t)
	if _, errOut, code := d.ssh(t, "alice", "echo mine > /root/mine"); code != 0 {
		t.Fatalf("alice writing a file: exit %d %s", code, errOut)
	}
	if _, errOut, code := d.ssh(t, "erin", "true"); code != 0 {
		t.Fatalf("erin's guest: exit %d %s", code, errOut)
	}
	teacher := loggedIn(t, d, "bob", "/dashboard")
	waitLoaded(t, teacher, "the teacher's dashboard", `button[data-check="net101"]`)

	t.Run("the teacher runs the check and reads the table", func(t *testing.T) {
		eval[bool](t, teacher, `document.querySelector('button[data-check="net101"]').click(); true`)
		waitPage(t, teacher, "the check", `body[data-report="check net101: 0/2 pass"]`)
		row := eval[string](t, teacher, `document.querySelector('#report-rows tr[data-login="alice"]').innerText`)
		if !strings.Contains(row, "fail") || !strings.Contains(row, "/root/done is missing") {
			t.Errorf("alice's row of the check: %q; want fail with its FAIL line", row)
		}
		if _, errOut, code := d.ssh(t, "alice", "touch /root/done"); code != 0 {
			t.Fatalf("alice touching /root/done: exit %d %s", code, errOut)
		}
		eval[bool](t, teacher, `document.querySelector('button[data-check="net101"]').click(); true`)
		waitPage(t, teacher, "the second check", `body[data-report="check net101: 1/2 pass"]`)
		waitPage(t, teacher, "the last check on the dashboard", `#classes tr[data-login="alice"] td.check.pass`)
		waitPage(t, teacher, "the last check on the dashboard", `#classes tr[data-login="erin"] td.check.fail`)
		if active := eval[string](t, teacher, `document.querySelector('#classes tr[data-login="alice"]').cells[4].textContent`); active == "" {
			t.Error("the dashboard shows no last activity of alice, who logged in")
		}
		shot(t, teacher, "web-dashboard.png")
	})

	cookie, csrf := browserSecrets(t, teacher)
	t.Run("a reset without confirmation or CSRF token is refused", func(t *testing.T) {
		tests := []struct {
			name, csrf, body string
			want             int
		}{
			{"no confirmation", csrf, `{"student":"alice"}`, http.StatusBadRequest},
			{"a wrong confirmation", csrf, `{"student":"alice","confirm":"alic"}`, http.StatusBadRequest},
			{"no CSRF token", "", `{"student":"alice","confirm":"alice"}`, http.StatusForbidden},
			{"a wrong CSRF token", "x" + csrf, `{"student":"alice","confirm":"alice"}`, http.StatusForbidden},
		}
		for _, tt := range tests {
			if got := postAs(t, base, "/api/classes/net101/reset", cookie, tt.csrf, tt.body); got != tt.want {
				t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
			}
		}
		if got := postAs(t, base, "/api/classes/net101/check", cookie, "", ""); got != http.StatusForbidden {
			t.Errorf("a check without the CSRF token: %d, want 403", got)
		}
		if !guestHas(t, d, "/root/mine") {
			t.Error("a refused reset reset alice's guest: /root/mine is gone")
		}
	})

	t.Run("a confirmed reset resets the student's guest", func(t *testing.T) {
		eval[bool](t, teacher, `document.querySelector('button[data-reset="alice"]').click(); true`)
		waitPage(t, teacher, "the confirmation", `#confirm:not([hidden]) #confirm-reset[disabled]`)
		do(t, teacher, "typing the student's name", chromedp.SendKeys(chromedp.CSS("#confirm-name"), "alice"))
		waitPage(t, teacher, "the confirmation", `#confirm-reset:not([disabled])`)
		eval[bool](t, teacher, `document.getElementById('confirm-reset').click(); true`)
		waitPage(t, teacher, "the reset", `body[data-report="reset net101: 1/1 ok"]`)
		if guestHas(t, d, "/root/mine") {
			t.Error("after the reset, alice's /root/mine is still there")
		}
	})

	t.Run("neither teacher nor admin gets 403", func(t *testing.T) {
		for _, who := range []string{"dave", "alice"} {
			ctx := loggedIn(t, d, who, "/")
			got := eval[string](t, ctx, `fetch('/api/me').then(r => r.json()).then(async (me) => {
				const post = (p, b) => fetch(p, { method: 'POST', headers: { 'X-CSRF-Token': me.csrf }, body: b }).then(r => r.status);
				return [await post('/api/classes/net101/check', ''),
					await post('/api/classes/net101/reset', '{"student":"alice","confirm":"alice"}'),
					await fetch('/admin').then(r => r.status),
					await fetch('/api/admin/guests').then(r => r.status)].join(' ');
			})`)
			if got != "403 403 403 403" {
				t.Errorf("%s's check, reset, /admin and /api/admin/guests: %s, want 403 each", who, got)
			}
		}
	})

	t.Run("an admin sees every guest with its usage", func(t *testing.T) {
		if _, _, code := d.ssh(t, "dave", "true"); code != 0 {
			t.Fatal("dave's guest did not start")
		}
		admin := loggedIn(t, d, "carol", "/admin")
		waitLoaded(t, admin, "the admins' page, read twice (CPU is a rate)", `body[data-reads="2"]`)
		for _, login := range []string{"alice", "dave", "carol", "bob"} {
			waitPage(t, admin, login+"'s guest", `#guest-rows tr[data-login="`+login+`"]`)
		}
		row := eval[string](t, admin, `document.querySelector('#guest-rows tr[data-login="alice"]').innerText`)
		cells := eval[[]string](t, admin, `[...document.querySelector('#guest-rows tr[data-login="alice"]').cells].map(c => c.textContent)`)
		if len(cells) != 11 || cells[2] != "running" || !strings.HasSuffix(cells[4], "iB") || cells[4] == "0 B" || cells[5] == "0" || cells[10] == "" {
			t.Errorf("alice's guest on the admins' page: %q; want running, with memory, processes and last activity", row)
		}
		if _, err := strconv.ParseFloat(cells[3], 64); err != nil {
			t.Errorf("alice's CPU on the admins' page: %q, want a percentage", cells[3])
		}
		shot(t, admin, "web-admin.png")
		do(t, admin, "opening the dashboards", chromedp.Navigate(base+"/dashboard"))
		waitLoaded(t, admin, "the admin's dashboard", `button[data-check="net101"]`)
		eval[bool](t, admin, `document.querySelector('button[data-check="net101"]').click(); true`)
		waitPage(t, admin, "the admin's check", `body[data-report]`)
	})

	t.Run("an admin watches a student, read-only", func(t *testing.T) {
		student := browser(t)
		link, _ := webLink(t, d, "erin")
		do(t, student, "opening erin's link", chromedp.Navigate(link))
		n := attachedSession(t, student)
		admin := loggedIn(t, d, "carol", "/dashboard")
		waitLoaded(t, admin, "erin's session on the admin's dashboard", `button[data-watch="erin/`+n+`"]`)
		if eval[bool](t, admin, `!!document.querySelector('button[data-join="erin/`+n+`"]')`) {
			t.Error("the admin's dashboard offers to join erin's session")
		}
		eval[bool](t, admin, `document.querySelector('button[data-watch="erin/`+n+`"]').click(); true`)
		waitPage(t, admin, "watching", `body[data-watching]`)
		waitScreen(t, student, "carol (admin) is watching")
		typeKeys(t, student, "echo seen-$((4+4))\r")
		waitScreen(t, admin, "seen-8")
		joined := eval[string](t, admin, `fetch('/api/me').then(r => r.json()).then(me => new Promise(res => {
			const ws = new WebSocket('wss://' + location.host + '/api/watch?session=`+n+`&login=erin&join=yes&csrf=' + encodeURIComponent(me.csrf));
			ws.onopen = () => res('open'); ws.onerror = () => res('refused'); }))`)
		if joined != "refused" {
			t.Errorf("the admin joining erin's session: %s, want refused", joined)
		}
	})

	log := d.log()
	for _, want := range []string{"op=check class=net101 by=bob", "op=reset class=net101 by=bob student=alice", "op=check class=net101 by=carol",
		`msg="web lab refused" audit=true via=web op=reset class=net101 student=alice by=bob reason="not confirmed"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the daemon's log has no %s", want)
		}
	}
}
