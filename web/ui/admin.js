// admin.js is the admins' page: every guest with its owner, state and
// usage (CPU, memory, processes, disk, network), its connections and last
// activity, read again every few seconds; CPU and network are rates
// between two reads.

const $ = (id) => document.getElementById(id);
const state = { prev: null, at: 0 };

function status(text) { $('status').textContent = text; }

async function api(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.error) || r.statusText);
  return body;
}

// human writes a count of bytes with a binary unit.
function human(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(Math.round(n))) + ' ' + units[i];
}

function cell(tr, text, cls) {
  const td = tr.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

// rate is how fast a counter of g grew since the last read, per second.
function rate(g, key, secs) {
  const p = state.prev && state.prev.get(g.login);
  if (!p || secs <= 0 || g[key] < p[key]) return 0;
  return (g[key] - p[key]) / secs;
}

function render(guests, secs) {
  const rows = $('guest-rows');
  rows.replaceChildren();
  for (const g of guests) {
    const tr = rows.insertRow();
    tr.dataset.login = g.login;
    cell(tr, g.owner);
    cell(tr, g.login);
    cell(tr, g.state);
    cell(tr, (100 * rate(g, 'cpu_seconds', secs)).toFixed(1), 'num');
    cell(tr, human(g.memory_bytes), 'num');
    cell(tr, String(g.processes), 'num');
    cell(tr, human(g.disk_bytes) + (g.disk_limit_bytes ? ' of ' + human(g.disk_limit_bytes) : ''), 'num');
    cell(tr, human(rate(g, 'net_rx_bytes', secs)), 'num');
    cell(tr, human(rate(g, 'net_tx_bytes', secs)), 'num');
    cell(tr, String(g.connected), 'num');
    cell(tr, g.active ? new Date(g.active).toLocaleTimeString() : '');
  }
}

async function refresh() {
  try {
    const guests = await api('/api/admin/guests');
    const now = performance.now();
    render(guests, state.at ? (now - state.at) / 1000 : 0);
    state.prev = new Map(guests.map((g) => [g.login, g]));
    state.at = now;
    document.body.dataset.guests = String(guests.length);
    document.body.dataset.reads = String(Number(document.body.dataset.reads || 0) + 1);
    status('');
  } catch (e) {
    status(e.message);
  }
}

async function main() {
  let me;
  try {
    me = await api('/api/me');
  } catch (e) {
    status('Not logged in: get a link with ssh USER@HOST :web');
    return;
  }
  $('who').textContent = me.user;
  if (!me.admin) {
    status('This page is for the admins named in web.admins.');
    return;
  }
  await refresh();
  setInterval(refresh, 3000);
}

main();
