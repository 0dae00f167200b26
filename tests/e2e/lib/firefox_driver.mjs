// Drives Debian's Firefox ESR for end-to-end tests. puppeteer-core talks to Firefox over
// WebDriver BiDi on a loopback WebSocket, so this process must run in the same network
// namespace as the browser: lib/firefox.mjs starts it with `ip netns exec NS node <this file>`
// and sends it commands as JSON lines on stdin; each answer is one JSON line on stdout:
//
//   -> {"id": 7, "op": "click", "page": 1, "x": 10, "y": 20}
//   <- {"id": 7, "ok": true, "value": null}       or {"id": 7, "ok": false, "error": "..."}
//   <- {"event": "console", "page": 1, "text": "log: ..."}   (unsolicited)
//
// Firefox's own output (dumpio) goes to stderr. Every operation is bounded by a time limit.
import path from 'node:path';
import readline from 'node:readline';

import puppeteer from 'puppeteer-core';

const kExecutable = process.env.FERRY_FIREFOX || '/usr/bin/firefox-esr';
// How long Firefox may take to start (puppeteer's default is 30 s).
const kLaunchTimeoutMs = 120_000;
const kProtocolTimeoutMs = 120_000;

let browser = null;
const contexts = new Map();  // id -> {ctx, downloadDir}
const pages = new Map();     // id -> puppeteer Page
let nextId = 1;
// Downloads by browsing context: started (suggested name) and finished (file path).
const downloads = new Map();  // context id -> {waiters: [], will: Map(navigation -> name)}

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function prefs(secureHosts) {
  return {
    // Host candidates as plain IPs, so two namespaces connect directly (no mDNS names).
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    // The test server is plain http on a namespace address: treat it as a secure context,
    // as Chromium's --unsafely-treat-insecure-origin-as-secure does (OPFS, clipboard).
    'dom.securecontext.allowlist': secureHosts.join(','),
    // Headless Firefox refuses WebGL on a machine without a GPU unless forced; with
    // MOZ_WEBGL_FORCE_EGL it then renders through Mesa's llvmpipe.
    'webgl.force-enabled': true,
    // navigator.clipboard.readText() without the paste confirmation menu.
    'dom.events.testing.asyncClipboard': true,
    // Quiet: no background connections (there is no network beyond the test hosts anyway).
    'network.connectivity-service.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.dns.disablePrefetch': true,
    'network.prefetch-next': false,
    'network.trr.mode': 5,
    'app.normandy.enabled': false,
    'messaging-system.rsexperimentloader.enabled': false,
    'extensions.blocklist.enabled': false,
    'toolkit.telemetry.enabled': false,
    'browser.region.network.url': '',
    'browser.search.geoip.url': '',
    'media.gmp-manager.url': '',
  };
}

function page(id) {
  const p = pages.get(id);
  if (!p) throw new Error(`no page ${id}`);
  return p;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

// A page function travels as source text and is called with one JSON argument.
function expression(fn, arg) {
  return `(${fn})(${arg === undefined ? '' : JSON.stringify(arg)})`;
}

function downloadState(contextId) {
  if (!downloads.has(contextId)) downloads.set(contextId, { waiters: [], will: new Map() });
  return downloads.get(contextId);
}

function onDownloadWillBegin(e) {
  downloadState(e.context).will.set(e.navigation, e.suggestedFilename);
}

function onDownloadEnd(e) {
  const st = downloadState(e.context);
  const name = st.will.get(e.navigation);
  st.will.delete(e.navigation);
  const w = st.waiters.shift();
  if (w) w({ status: e.status, filepath: e.filepath || null, suggestedFilename: name });
}

const ops = {
  // extraPrefs: more Firefox preferences, or overrides (e.g. to see the client without WebGL).
  async launch({ secureHosts = [], headless = true, extraPrefs = {} }) {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: kExecutable,
      headless,
      dumpio: true,
      protocolTimeout: kProtocolTimeoutMs,
      // A cold Firefox with a fresh profile beside a busy Chromium on two cores has taken over
      // puppeteer's default 30 s to print its endpoint (seen twice in full runs).
      timeout: kLaunchTimeoutMs,
      extraPrefsFirefox: { ...prefs(secureHosts), ...extraPrefs },
      env: { ...process.env, MOZ_WEBGL_FORCE_EGL: '1' },
    });
    browser.connection.on('browsingContext.downloadWillBegin', onDownloadWillBegin);
    browser.connection.on('browsingContext.downloadEnd', onDownloadEnd);
    return browser.version();
  },

  // A browser context (a separate cookie jar and storage) whose downloads go to downloadDir.
  async newContext({ downloadDir }) {
    const ctx = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloadDir } });
    const id = nextId++;
    contexts.set(id, { ctx, downloadDir });
    return id;
  },

  async closeContext({ context }) {
    const c = contexts.get(context);
    contexts.delete(context);
    if (c) await c.ctx.close();
    return null;
  },

  // initScript: source of a function run in every document before the page's own scripts.
  async newPage({ context, viewport, initScript }) {
    const p = await contexts.get(context).ctx.newPage();
    if (viewport) await p.setViewport(viewport);
    if (initScript) await p.evaluateOnNewDocument(`(${initScript})()`);
    const id = nextId++;
    pages.set(id, p);
    p.on('console', (m) => send({ event: 'console', page: id, text: `${m.type()}: ${m.text()}` }));
    p.on('pageerror', (e) => send({ event: 'console', page: id, text: `pageerror: ${e.message}` }));
    return id;
  },

  async goto({ page: id, url }) {
    await page(id).goto(url);
    return null;
  },

  async evaluate({ page: id, fn, arg }) {
    return page(id).evaluate(expression(fn, arg));
  },

  // Polls a page function until it returns something truthy; answers with that value.
  async waitForFunction({ page: id, fn, arg, timeout }) {
    const handle = await page(id).waitForFunction(expression(fn, arg), { timeout, polling: 100 });
    return handle.jsonValue();
  },

  async click({ page: id, x, y }) {
    await page(id).mouse.click(x, y);
    return null;
  },

  async type({ page: id, text, delay = 20 }) {
    await page(id).keyboard.type(text, { delay });
    return null;
  },

  async setFiles({ page: id, selector, files, timeout }) {
    const el = await page(id).waitForSelector(selector, { timeout });
    await el.uploadFile(...files);
    await el.dispose();
    return null;
  },

  async screenshot({ page: id, path: file, clip }) {
    await page(id).screenshot({ path: file, clip });
    return file;
  },

  // Clicks (x, y) and waits for the download that the click starts to finish.
  async clickDownload({ page: id, x, y, timeout }) {
    const p = page(id);
    const st = downloadState(p.mainFrame()._id);
    const done = new Promise((resolve) => st.waiters.push(resolve));
    await p.mouse.click(x, y);
    const d = await withTimeout(done, timeout, 'download');
    if (d.status !== 'complete' || !d.filepath) throw new Error(`download ${d.status}: ${d.suggestedFilename}`);
    return { ...d, savedAs: path.basename(d.filepath) };
  },

  async close() {
    if (browser) await browser.close();
    browser = null;
    return null;
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  const { id, op, timeout = 60_000, ...args } = msg;
  try {
    if (!ops[op]) throw new Error(`unknown op ${op}`);
    // Every operation ends: its own time limit plus a margin for the round trip.
    const value = await withTimeout(ops[op]({ ...args, timeout }), timeout + 10_000, op);
    send({ id, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    send({ id, ok: false, error: e && e.message ? e.message : String(e) });
  }
  if (op === 'close') process.exit(0);
});
// The scenario went away (stdin closed): close the browser and leave.
rl.on('close', async () => {
  try { if (browser) await withTimeout(browser.close(), 10_000, 'close'); } catch { /* gone */ }
  process.exit(0);
});
