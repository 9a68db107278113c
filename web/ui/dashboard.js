// dashboard.js is the teachers' dashboard: the students' guests of each
// class taught (of every class, for an admin), with state, connections,
// sessions and last check result, updated every few seconds; a session is
// watched (read-only, the student is told) or joined in a terminal below;
// the class check runs with a click and a student is reset once their
// name is typed to confirm.
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

async function api(path, init) {
  const r = await fetchRetry(path, { credentials: 'same-origin', ...init });
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

// checkText is a last check result as a cell shows it.
function checkText(c) {
  if (!c) return 'not checked';
  const why = c.fail.length ? c.fail.join('; ') : (c.error || '');
  return why ? c.result + ': ' + why : c.result;
}

function render(classes) {
  const root = $('classes');
  root.replaceChildren();
  for (const c of classes) {
    const h = document.createElement('h2');
    h.textContent = c.class + ' ';
    h.append(button('Run check', () => runCheck(c.class), { check: c.class }));
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const t of ['Student', 'Guest', 'State', 'Connected', 'Last activity', 'Last check', 'Sessions', '']) cell(head, t);
    const body = table.createTBody();
    let last = '';
    for (const s of c.students) {
      const tr = body.insertRow();
      tr.dataset.login = s.login;
      cell(tr, s.student);
      cell(tr, s.login);
      cell(tr, s.state || '');
      cell(tr, String(s.connected));
      cell(tr, s.active ? new Date(s.active).toLocaleTimeString() : '');
      const ck = cell(tr, checkText(s.check));
      ck.className = 'check ' + (s.check ? s.check.result : 'none');
      const td = cell(tr, s.sessions.length ? '' : (c.teaches ? 'none' : ''));
      for (const k of s.sessions) {
        const span = document.createElement('span');
        span.className = 'session';
        span.textContent = k.n + (k.attached ? ' (attached) ' : ' (detached) ');
        span.append(button('Watch', () => watch(s.login, k.n, false), { watch: s.login + '/' + k.n }));
        // An admin who does not teach the class watches, read-only.
        if (c.teaches) span.append(button('Join', () => watch(s.login, k.n, true), { join: s.login + '/' + k.n }));
        td.append(span);
      }
      const act = cell(tr, '');
      if (s.student !== last) act.append(button('Reset', () => askReset(c.class, s.student), { reset: s.student }));
      last = s.student;
    }
    root.append(h, table);
  }
}

// post sends a state change with the CSRF token.
function post(path, body) {
  return api(path, {
    method: 'POST',
    headers: { 'X-CSRF-Token': state.me.csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  });
}

// showReport shows what a check or reset did, guest by guest.
function showReport(title, rep) {
  $('report-title').textContent = title;
  const rows = $('report-rows');
  rows.replaceChildren();
  for (const r of rep.results) {
    const tr = rows.insertRow();
    tr.dataset.login = r.login;
    cell(tr, r.student);
    cell(tr, r.login);
    cell(tr, r.result).className = 'check ' + r.result;
    cell(tr, r.fail.length ? r.fail.join('\n') : (r.error || ''));
  }
  $('report').hidden = false;
  document.body.dataset.report = title;
}

async function runCheck(cls) {
  status('checking ' + cls + '...');
  delete document.body.dataset.report;
  try {
    const rep = await post('/api/classes/' + encodeURIComponent(cls) + '/check');
    showReport(rep.summary, rep);
    status('');
  } catch (e) {
    status('check ' + cls + ': ' + e.message);
  }
  refresh();
}

// askReset opens the confirmation of resetting student: their name must
// be typed again, and the server wants it too.
function askReset(cls, student) {
  state.reset = { cls, student };
  $('confirm-text').textContent = 'Reset the guests of ' + student + ' in ' + cls +
    ' to their image? Their files are lost; the setup runs again.';
  $('confirm-name').value = '';
  $('confirm-reset').disabled = true;
  $('confirm').hidden = false;
  $('confirm-name').focus();
}

async function confirmReset(ev) {
  ev.preventDefault();
  const r = state.reset;
  if (!r) return;
  $('confirm').hidden = true;
  state.reset = null;
  status('resetting ' + r.student + '...');
  delete document.body.dataset.report;
  try {
    const rep = await post('/api/classes/' + encodeURIComponent(r.cls) + '/reset',
      { student: r.student, confirm: $('confirm-name').value });
    showReport(rep.summary, rep);
    status('');
  } catch (e) {
    status('reset ' + r.student + ': ' + e.message);
  }
  refresh();
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
  $('admin').hidden = !state.me.admin;
  if (!state.me.teaches.length && !state.me.admin) {
    status('You teach no class.');
    return;
  }
  $('confirm-name').oninput = () => {
    $('confirm-reset').disabled = !state.reset || $('confirm-name').value !== state.reset.student;
  };
  $('confirm-form').onsubmit = confirmReset;
  $('confirm-cancel').onclick = () => { $('confirm').hidden = true; state.reset = null; };
  $('report-close').onclick = () => { $('report').hidden = true; };
  term.open($('terminal'));
  term.onData((d) => { if (state.join && state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(encoder.encode(d)); });
  $('stop').onclick = () => { if (state.ws) state.ws.close(); $('watch').hidden = true; };
  window.addEventListener('resize', () => fit.fit());
  await refresh();
  setInterval(refresh, 3000);
}

main();
