// app.js is the browser terminal: xterm.js attached over a WebSocket to a
// kept session of a guest, reattached after a drop; a guest picker and
// the guest's session list.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

const $ = (id) => document.getElementById(id);
const state = { me: null, login: '', session: 0, ws: null, retries: 0, timer: 0, stay: false };
const encoder = new TextEncoder();

const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14, convertEol: false });
const fit = new FitAddon();
term.loadAddon(fit);

function status(text) { $('status').textContent = text; }

// fetchRetry is fetch, tried again a few times when the network fails
// (a browser aborts requests when its host's network changes).
async function fetchRetry(path, init, tries = 5) {
  for (let i = 0; ; i++) {
    try {
      return await fetch(path, init);
    } catch (e) {
      if (i + 1 >= tries) throw e;
      await new Promise((res) => setTimeout(res, 200 * 2 ** i));
    }
  }
}

async function api(path, init = {}) {
  const r = await fetchRetry(path, { credentials: 'same-origin', ...init });
  let body = null;
  try { body = await r.json(); } catch (e) { /* no body */ }
  if (!r.ok) throw new Error((body && body.error) || r.statusText);
  return body;
}

function terminalURL(which) {
  const q = new URLSearchParams({
    login: state.login, session: String(which), rows: String(term.rows), cols: String(term.cols), csrf: state.me.csrf,
  });
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/terminal?' + q;
}

function send(data) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(data);
}

// connect attaches to session which (a number, or 'new').
function connect(which) {
  clearTimeout(state.timer);
  if (state.ws) { state.stay = true; state.ws.close(); }
  state.stay = false;
  const ws = new WebSocket(terminalURL(which));
  ws.binaryType = 'arraybuffer';
  state.ws = ws;
  status('connecting…');
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') {
      term.write(new Uint8Array(ev.data));
      return;
    }
    const m = JSON.parse(ev.data);
    if (m.type === 'attached') {
      state.session = m.session;
      state.retries = 0;
      status(state.login + ': session ' + m.session);
      document.body.dataset.session = String(m.session);
    } else if (m.type === 'ended' || m.type === 'detached') {
      state.session = 0;
      state.stay = true;
      delete document.body.dataset.session;
      status((m.session ? 'session ' + m.session + ': ' : '') + m.reason);
    }
  };
  ws.onclose = () => {
    if (state.ws !== ws || state.stay || !state.session) return;
    status('connection lost; reconnecting…');
    const delay = Math.min(5000, 250 * 2 ** state.retries++);
    state.timer = setTimeout(reconnect, delay);
  };
}

// reconnect attaches to the session again (also across a restart of the
// daemon), unless the browser session ended (expired, revoked): then it
// says so and stops.
async function reconnect() {
  const r = await fetchRetry('/api/me', { credentials: 'same-origin' }).catch(() => null);
  if (r && r.status === 401) {
    state.session = 0;
    delete document.body.dataset.session;
    status('Logged out (the browser session ended). Get a new link with: ssh ' + state.me.user + '@HOST :web');
    document.body.dataset.loggedOut = 'yes';
    return;
  }
  // Listing the sessions takes over those a restarted daemon kept.
  if (r && r.ok) await api('/api/sessions?login=' + encodeURIComponent(state.login)).catch(() => null);
  connect(state.session);
}

// open attaches to the guest's session detached last, or starts one, as
// an SSH login does.
async function open(login) {
  state.login = login;
  let which = 'new';
  try {
    const list = await api('/api/sessions?login=' + encodeURIComponent(login));
    const detached = list.filter((s) => !s.attached).sort((a, b) => Date.parse(b.since) - Date.parse(a.since));
    if (detached.length) which = detached[0].n;
  } catch (e) {
    status(e.message);
    return;
  }
  connect(which);
}

async function listSessions() {
  const rows = $('session-rows');
  rows.replaceChildren();
  let list = [];
  try { list = await api('/api/sessions?login=' + encodeURIComponent(state.login)); } catch (e) { status(e.message); }
  for (const s of list) {
    const tr = document.createElement('tr');
    const cells = [String(s.n), s.attached ? 'attached' : 'detached', new Date(s.since).toLocaleTimeString(),
      s.cols + 'x' + s.rows, s.command || '(login shell)'];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Attach';
    b.dataset.attach = String(s.n);
    b.onclick = () => { $('sessions').hidden = true; connect(s.n); term.focus(); };
    td.append(b);
    tr.append(td);
    rows.append(tr);
  }
}

async function main() {
  try {
    state.me = await api('/api/me');
  } catch (e) {
    status('Not logged in: get a link with ssh USER@HOST :web');
    return;
  }
  $('who').textContent = state.me.user;
  $('dashboard').hidden = !state.me.teaches.length && !state.me.admin;
  $('admin').hidden = !state.me.admin;
  const picker = $('guest');
  for (const g of state.me.guests) {
    const o = document.createElement('option');
    o.value = g.login;
    o.textContent = g.login;
    picker.append(o);
  }
  picker.value = state.me.guests.some((g) => g.login === state.me.start) ? state.me.start : (state.me.guests[0] || {}).login;
  picker.onchange = () => { open(picker.value); term.focus(); };
  $('new').onclick = () => { connect('new'); term.focus(); };
  $('list').onclick = async () => {
    const s = $('sessions');
    if (s.hidden) await listSessions();
    s.hidden = !s.hidden;
    $('list').setAttribute('aria-expanded', String(!s.hidden));
  };
  $('logout').onclick = async () => {
    state.stay = true;
    if (state.ws) state.ws.close();
    await api('/api/logout', { method: 'POST', headers: { 'X-CSRF-Token': state.me.csrf } }).catch(() => {});
    status('logged out');
  };
  term.open($('terminal'));
  fit.fit();
  // The terminal takes Tab (the shell completes with it): F6 moves the
  // focus to the bar and back, as between a browser's panes. Ctrl+C and
  // Ctrl+V go to the shell; Ctrl+Shift+C copies the selection and
  // Ctrl+Shift+V pastes, as in a desktop terminal.
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.ctrlKey && ev.shiftKey && (ev.code === 'KeyC' || ev.code === 'KeyV')) return clipboardKey(ev);
    if (ev.key !== 'F6') return true;
    if (ev.type === 'keydown') { ev.preventDefault(); picker.focus(); }
    return false;
  });
  document.querySelector('header').addEventListener('keydown', (ev) => {
    if (ev.key === 'F6') { ev.preventDefault(); term.focus(); }
  });
  term.onData((d) => send(encoder.encode(d)));
  term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0))));
  term.onResize(({ rows, cols }) => send(JSON.stringify({ type: 'resize', rows, cols })));
  new ResizeObserver(() => fit.fit()).observe($('terminal')); // the window, the bar wrapping

  term.focus();
  if (picker.value) open(picker.value);
}

// clipboardKey handles Ctrl+Shift+C and Ctrl+Shift+V in the terminal:
// the first copies the selection through the browser's copy command
// (xterm.js answers its copy event with the selection), the second is
// left to the browser, whose paste event xterm.js sends to the session
// (bracketed when the shell asks for it). Neither reaches the shell as a
// key.
function clipboardKey(ev) {
  if (ev.type === 'keydown' && ev.code === 'KeyC') {
    ev.preventDefault();
    if (term.hasSelection()) document.execCommand('copy');
  }
  return false;
}

// For tests and the curious: the WebSocket in use, and the terminal's
// selection.
window.vmhostSocket = () => state.ws;
window.vmhostSelection = () => term.getSelection();

main();
