// dashboard.js is the teachers' dashboard: the students' guests of each
// class taught, with state, connections and sessions, updated every few
// seconds; a session is watched (read-only, the student is told) or
// joined in a terminal below.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

const $ = (id) => document.getElementById(id);
const state = { me: null, ws: null, join: false };
const encoder = new TextEncoder();
const term = new Terminal({ scrollback: 2000, fontSize: 13 });
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

async function api(path) {
  const r = await fetchRetry(path, { credentials: 'same-origin' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.error) || r.statusText);
  return body;
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.append(td);
  return td;
}

function button(label, onclick, data) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.onclick = onclick;
  Object.assign(b.dataset, data);
  return b;
}

function render(classes) {
  const root = $('classes');
  root.replaceChildren();
  for (const c of classes) {
    const h = document.createElement('h2');
    h.textContent = c.class;
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const t of ['Student', 'Guest', 'State', 'Connected', 'Last activity', 'Sessions']) cell(head, t);
    const body = table.createTBody();
    for (const s of c.students) {
      const tr = body.insertRow();
      tr.dataset.login = s.login;
      cell(tr, s.student);
      cell(tr, s.login);
      cell(tr, s.state || '');
      cell(tr, String(s.connected));
      cell(tr, s.active ? new Date(s.active).toLocaleTimeString() : '');
      const td = cell(tr, s.sessions.length ? '' : 'none');
      for (const k of s.sessions) {
        const span = document.createElement('span');
        span.className = 'session';
        span.textContent = k.n + (k.attached ? ' (attached) ' : ' (detached) ');
        span.append(button('Watch', () => watch(s.login, k.n, false), { watch: s.login + '/' + k.n }),
          button('Join', () => watch(s.login, k.n, true), { join: s.login + '/' + k.n }));
        td.append(span);
      }
    }
    root.append(h, table);
  }
}

async function refresh() {
  try {
    render(await api('/api/classes'));
  } catch (e) {
    status(e.message);
  }
}

function watch(login, n, join) {
  if (state.ws) state.ws.close();
  $('watch').hidden = false;
  fit.fit();
  term.reset();
  state.join = join;
  term.options.disableStdin = !join;
  $('watching').textContent = (join ? 'Joined to ' : 'Watching ') + login + ' session ' + n;
  const q = new URLSearchParams({ login, session: String(n), join: join ? 'yes' : 'no', csrf: state.me.csrf });
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/watch?' + q);
  ws.binaryType = 'arraybuffer';
  state.ws = ws;
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') {
      term.write(new Uint8Array(ev.data));
      return;
    }
    const m = JSON.parse(ev.data);
    if (m.type === 'attached') document.body.dataset.watching = login + '/' + n;
    else if (m.type === 'ended') status(m.reason);
  };
  ws.onclose = () => { if (state.ws === ws) delete document.body.dataset.watching; };
  term.focus();
}

async function main() {
  try {
    state.me = await api('/api/me');
  } catch (e) {
    status('Not logged in: get a link with ssh USER@HOST :web');
    return;
  }
  $('who').textContent = state.me.user;
  if (!state.me.teaches.length) {
    status('You teach no class.');
    return;
  }
  term.open($('terminal'));
  term.onData((d) => { if (state.join && state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(encoder.encode(d)); });
  $('stop').onclick = () => { if (state.ws) state.ws.close(); $('watch').hidden = true; };
  window.addEventListener('resize', () => fit.fit());
  await refresh();
  setInterval(refresh, 3000);
}

main();
