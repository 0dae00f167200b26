// A plain static web host for the built client, standing in for a CDN or any web server on an
// origin of its own (e2e.split_origin): ferry-server then runs with --signal-only. It does what
// a deployer does once: serve the shell page with its ferry-signal setting filled in
// (<meta name="ferry-signal" content="...">), and send a Content-Security-Policy that lets the
// page connect to that signalling server and nothing else. Join links (/j/...) get the shell
// page, as ferry-server serves them.
// Usage: node static_host.mjs LISTEN_HOST LISTEN_PORT WEB_ROOT SIGNAL_URL
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [host, port, root, signalUrl] = process.argv.slice(2);

const kTypes = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};
const signalOrigin = new URL(signalUrl).origin.replace(/^http/, 'ws');
const kCsp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  `img-src 'self' data: blob:; font-src 'self'; connect-src 'self' ${signalOrigin}; worker-src 'self' blob:; ` +
  "manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const shell = fs.readFileSync(path.join(root, 'index.html'), 'utf8');
const configured = shell.replace(/(<meta name="ferry-signal" content=")[^"]*(")/, `$1${signalUrl}$2`);
if (configured === shell) throw new Error('the shell page has no <meta name="ferry-signal"> to fill in');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const headers = { 'Content-Security-Policy': kCsp, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
  if (url.pathname === '/' || url.pathname === '/index.html' || url.pathname.startsWith('/j/')) {
    res.writeHead(200, { ...headers, 'Content-Type': kTypes['.html'] });
    res.end(configured);
    return;
  }
  const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
  const file = path.join(root, rel);
  if (rel.startsWith('..') || !kTypes[path.extname(file)] || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': kTypes[path.extname(file)] });
  fs.createReadStream(file).pipe(res);
});
server.listen(Number(port), host, () => console.log(`static host listening on ${host}:${port}, signalling at ${signalUrl}`));
process.on('SIGTERM', () => process.exit(0));
