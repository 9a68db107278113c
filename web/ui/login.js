// login.js trades the one-time token in the link's fragment (which the
// browser never sends to any server) for a session cookie, then opens the
// terminal.
const message = document.getElementById('message');
const token = location.hash.slice(1);
history.replaceState(null, '', '/login');

async function login() {
  if (!token) {
    message.textContent = 'This link has no token. Get a link with: ssh USER@HOST :web';
    return;
  }
  const r = await fetch('/api/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (r.ok) {
    location.replace('/');
    return;
  }
  let why = r.statusText;
  try { why = (await r.json()).error; } catch (e) { /* not JSON */ }
  message.textContent = 'Login refused: ' + why;
  message.dataset.refused = 'yes';
}

login().catch((e) => { message.textContent = 'Login failed: ' + e; });
