// bench/firstload: bytes over the wire for a cold load of the page in real Chromium (issue 15,
// item 4: "first load <= 800 KB"). A fresh browser context (empty HTTP cache, no service worker)
// opens the page on the LAN's server; Chromium's DevTools protocol reports each response's
// bytes as received (Network.loadingFinished encodedDataLength: headers and the body as sent,
// compressed or not). Counted until the client draws its home screen (the Send files control
// exists) and the page's network has been quiet for 500 ms. The service worker's install is not
// on the page's target: it registers once the client runs (shell/boot.js) and copies the shell
// from the HTTP cache this load filled (hashed names are immutable), so it adds no download but
// a revalidation of index.html and the manifest (304s). Then a second load in the same context:
// what a returning visitor downloads.
//
//   node bench/firstload/run.mjs [--rounds 3] [--http]
//   # before/after: another server and web root, e.g. main's build folder as it was served
//   FERRY_SERVER=<ferry-server> FERRY_WEB_ROOT=<web root> node bench/firstload/run.mjs
//
// HTTPS by default, as a deployment serves the page: Chromium offers br only to https origins
// (to http ones "gzip, deflate"). The certificate comes from a test CA that the browser trusts
// (lib/nginx.mjs makeTestCa, trustInNss), so Chromium caches as it would for a real site (it
// keeps nothing from a site with a certificate error). --http measures plain HTTP.
// Prints each response of the first round (path, Content-Encoding, bytes) and the total per round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromium } from '../../tests/e2e/lib/browser.mjs';
import { ClientPage, kStepTimeoutMs, kWebRoot, log, startServer } from '../../tests/e2e/lib/ferry.mjs';
import { kViewport } from '../../tests/e2e/lib/flows.mjs';
import { Lan } from '../../tests/e2e/lib/net.mjs';
import { makeTestCa, trustInNss } from '../../tests/e2e/lib/nginx.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const kRounds = arg('rounds', 3);
const kHttp = process.argv.includes('--http');
const kQuietMs = 500;  // no response for this long: the load is over

// Counts the bytes of every response a CDP session sees; `rows` keeps them per request.
function countBytes(cdp, rows) {
  const pending = new Map();
  const methods = new Map();
  cdp.on('Network.requestWillBeSent', (e) => methods.set(e.requestId, e.request.method));
  cdp.on('Network.responseReceived', (e) => {
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const method = methods.get(e.requestId) || 'GET';
    pending.set(e.requestId, { path: (method === 'GET' ? '' : method + ' ') + new URL(e.response.url).pathname, status: e.response.status,
      encoding: headers['content-encoding'] || 'identity', fromCache: e.response.fromDiskCache || e.response.fromServiceWorker });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const row = pending.get(e.requestId) || { path: '?', status: 0, encoding: '?' };
    rows.push({ ...row, bytes: e.encodedDataLength, at: Date.now() });
  });
}

async function load(ctx, origin, label) {
  const rows = [];
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  countBytes(cdp, rows);
  await cdp.send('Network.enable');
  const cp = new ClientPage(page, label);
  await page.goto(origin + '/');
  await cp.widget('send-files', kStepTimeoutMs);
  for (;;) {  // quiet: no response for kQuietMs
    const last = Math.max(0, ...rows.map((r) => r.at));
    if (Date.now() - last >= kQuietMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Resource Timing's view of the same load (transferSize: headers and body): it also sees the
  // offline probe (shell/boot.js, a HEAD of /), which CDP reports as aborted, without a size.
  rows.timing = await page.evaluate(() => [...performance.getEntriesByType('navigation'),
    ...performance.getEntriesByType('resource')].reduce((n, e) => n + e.transferSize, 0));
  await page.close();
  return rows;
}

async function measure(env) {
  log(`web root: ${kWebRoot}, ${env.origin}`);
  const totals = [];
  for (let round = 1; round <= kRounds; ++round) {
    const ctx = await env.browser.newContext({ viewport: kViewport });
    const cold = await load(ctx, env.origin, `cold-${round}`);
    const warm = await load(ctx, env.origin, `warm-${round}`);
    const sum = (rows) => rows.reduce((n, r) => n + r.bytes, 0);
    if (round === 1) {
      for (const r of cold) log(`  ${r.path.padEnd(40)} ${String(r.status).padEnd(4)} ${r.encoding.padEnd(9)} ${r.bytes}`);
    }
    totals.push({ cold: sum(cold), warm: sum(warm), requests: cold.length, timing: cold.timing });
    log(`round ${round}: cold load ${sum(cold)} bytes in ${cold.length} responses (Resource Timing: ${cold.timing}); second load ${sum(warm)} bytes on the page's target (${warm.length} responses)`);
    await ctx.close();
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cold = median(totals.map((t) => t.cold));
  console.log(`bench.firstload (${kHttp ? 'http' : 'https'}): cold load ${cold} bytes (${(cold / 1000).toFixed(0)} KB, ` +
    `Resource Timing ${median(totals.map((t) => t.timing))}, ` +
    `median of ${kRounds}), second load ${median(totals.map((t) => t.warm))} bytes on the page's target`);
}

const lan = new Lan().up();
const port = 8443;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-firstload-'));
let tlsArgs = [];
if (!kHttp) {
  const certs = makeTestCa(path.join(dir, 'ca'), { ips: [lan.addr.server] });
  process.env.HOME = trustInNss(path.join(dir, 'home'), certs.ca);
  tlsArgs = ['--cert', certs.cert, '--key', certs.key, '--no-hsts'];
}
const server = startServer(lan.ns.server, lan.addr.server, port, tlsArgs);
const origin = `${kHttp ? 'http' : 'https'}://${lan.addr.server}:${port}`;
let browser = null;
let failed = false;
try {
  await server.ready;
  browser = await launchChromium(lan, 'a', origin);
  await measure({ browser, origin });
} catch (e) {
  failed = true;
  console.error('bench.firstload FAILED:', e.stack || e.message);
  console.error(server.output().slice(-2000));
} finally {
  if (browser) await browser.close().catch(() => {});
  server.stop();
  lan.down();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
