// login.js trades the one-time token in the link's fragment (which the
// browser never sends to any server) for a session cookie, then opens the
// terminal.
const message = document.getElementById('message');
const token = location.hash.slice(1);
history.replaceState(null, '', '/login');

// fetchRetry is fetch, tried again when the network fails before an
// answer (a browser aborts requests when its host's network changes).
async function fetchRetry(path, init, tries = 4) {
  for (let i = 0; ; i++) {
    try {
      return await fetch(path, init);
    } catch (e) {
      if (i + 1 >= tries) throw e;
      await new Promise((res) => setTimeout(res, 200 * 2 ** i));
    }
  }
}

async function login() {
  if (!token) {
    message.textContent = 'This link has no token. Get a link with: ssh USER@HOST :web';
    return;
  }
  const r = await fetchRetry('/api/login', {
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
