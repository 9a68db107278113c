// build.mjs bundles the browser terminal's page into assets/dist, which
// vmhostd embeds: ui/app.js and ui/login.js with xterm.js (from
// node_modules, at the versions package-lock.json pins), the pages and
// the styles. assets/dist is not committed; `make build` makes it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const out = 'assets/dist';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['ui/app.js', 'ui/login.js', 'ui/dashboard.js', 'ui/admin.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const f of ['ui/index.html', 'ui/login.html', 'ui/dashboard.html', 'ui/admin.html', 'ui/app.css', 'node_modules/@xterm/xterm/css/xterm.css']) {
  copyFileSync(f, out + '/' + f.split('/').pop());
}
