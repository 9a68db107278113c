package e2e

import (
	"context"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// grantClipboard lets the page read and write the clipboard, as a user
// who allowed it would.
func grantClipboard(t *testing.T, ctx context.Context, origin string) {
	t.Helper()
	do(t, ctx, "granting the clipboard", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			p := cdpbrowser.SetPermissionParams{Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
				Setting: cdpbrowser.PermissionSettingGranted, Origin: origin}
			if _, err := cdp.Call(ctx, tg, cdpbrowser.SetPermission, p); err != nil {
				return err
			}
		}
		return nil
	}))
}

// pressCtrlShift presses Ctrl+Shift+key (a letter) in the page.
func pressCtrlShift(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	code := "Key" + key
	do(t, ctx, "pressing Ctrl+Shift+"+key, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			k := input.DispatchKeyEventParams{Type: typ, Key: key, Code: code, Modifiers: 2 | 8,
				WindowsVirtualKeyCode: int64(key[0]), NativeVirtualKeyCode: int64(key[0])}
			if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, k); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestWebCopyPaste selects text in the browser's terminal with the mouse,
// copies it with Ctrl+Shift+C to the clipboard, and pastes text into the
// session: a paste event (the browser's menu, Ctrl+Shift+V) reaches the
// shell, and Ctrl+Shift+V pastes the clipboard.
func TestWebCopyPaste(t *testing.T) {
	ctx := browser(t)
	d, base := webDaemon(t)
	link, _ := webLink(t, d, "alice")
	do(t, ctx, "opening the link", chromedp.Navigate(link))
	attachedSession(t, ctx)
	grantClipboard(t, ctx, base)
	typeKeys(t, ctx, "echo copy-$((40+2))\r")
	waitScreen(t, ctx, "copy-42")

	t.Run("a double click selects, Ctrl+Shift+C copies", func(t *testing.T) {
		// The output line is the row whose text starts with copy-42 (the
		// command's line holds $((40+2)), not 42).
		at := eval[[]float64](t, ctx, `(() => {
			const row = [...document.querySelectorAll('.xterm-rows > div')].find(r => r.textContent.startsWith('copy-42'));
			const b = row.getBoundingClientRect();
			return [b.left + 5, b.top + b.height / 2];
		})()`)
		do(t, ctx, "double clicking the output", chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2)))
		if got := eval[string](t, ctx, `window.vmhostSelection()`); got != "copy-42" {
			t.Fatalf("the terminal's selection after a double click: %q, want copy-42", got)
		}
		eval[bool](t, ctx, `navigator.clipboard.writeText('before').then(() => true)`)
		do(t, ctx, "focusing the terminal", chromedp.Focus(chromedp.CSS(".xterm-helper-textarea")))
		pressCtrlShift(t, ctx, "C")
		var got string
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && got != "copy-42"; time.Sleep(100 * time.Millisecond) {
			got = eval[string](t, ctx, `navigator.clipboard.readText()`)
		}
		if got != "copy-42" {
			t.Errorf("the clipboard after Ctrl+Shift+C: %q, want copy-42", got)
		}
	})

	t.Run("a paste event reaches the shell", func(t *testing.T) {
		eval[bool](t, ctx, `(() => {
			const ta = document.querySelector('.xterm-helper-textarea');
			ta.focus();
			const dt = new DataTransfer();
			dt.setData('text/plain', 'echo pasted-$((5*5))');
			ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
			return true;
		})()`)
		typeKeys(t, ctx, "\r") // bash takes a bracketed paste as text, not as commands
		waitScreen(t, ctx, "pasted-25")
	})

	t.Run("Ctrl+Shift+V pastes the clipboard", func(t *testing.T) {
		eval[bool](t, ctx, `navigator.clipboard.writeText('echo clip-$((3*3))').then(() => true)`)
		do(t, ctx, "focusing the terminal", chromedp.Focus(chromedp.CSS(".xterm-helper-textarea")))
		do(t, ctx, "pressing Ctrl+Shift+V", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
				// commands: what the browser's key bindings make of the key
				// on the desktop (a headless page has none of its own).
				k := input.DispatchKeyEventParams{Type: typ, Key: "V", Code: "KeyV", Modifiers: 2 | 8,
					WindowsVirtualKeyCode: 'V', NativeVirtualKeyCode: 'V'}
				if typ == input.DispatchKeyEventTypeRawKeyDown {
					k.Commands = []string{"pasteAndMatchStyle"}
				}
				if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, k); err != nil {
					return err
				}
			}
			return nil
		}))
		typeKeys(t, ctx, "\r")
		waitScreen(t, ctx, "clip-9")
	})
}
