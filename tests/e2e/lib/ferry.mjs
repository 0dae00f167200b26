// Helpers shared by the end-to-end scenarios: start the real ferry-server inside a namespace,
// open the real client in a real browser, and act on it as a person would: click where the
// widgets are (the UI publishes their rectangles in window.ferryWidgets), type, choose files
// through the real file input, and check the files that were actually saved.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const kRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const kServer = process.env.FERRY_SERVER || path.join(kRoot, 'build/native/server/ferry-server');
export const kWebRoot = process.env.FERRY_WEB_ROOT || path.join(kRoot, 'build/wasm/dist');
export const kOut = process.env.FERRY_E2E_OUT || path.join(kRoot, 'build/e2e');

// Every wait in a test is bounded; a scenario never sleeps to wait for something.
export const kStepTimeoutMs = 60_000;
// How often the page waits below re-check their condition. Playwright's default polls on
// requestAnimationFrame, which makes the compositor produce a frame 60 times a second: a cost
// Ferry's own pages (at most 2 paints a second when unattended) do not have, and which the
// benchmarks would charge to Ferry.
export const kPollMs = 100;

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

// Starts ferry-server in `ns` (null: this namespace, for loopback) bound to `addr`; resolves once
// it listens (port 0: any free port, which output() then names).
export function startServer(ns, addr, port, extraArgs = []) {
  const args = [kServer, '--bind', addr, '--port', String(port), '--web-root', kWebRoot, ...extraArgs];
  const proc = ns ? spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
                  : spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ferry-server did not start:\n' + out)), 15000);
    const onData = (d) => {
      out += d.toString();
      if (/listening/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`ferry-server exited (${code}):\n${out}`)));
  });
  return { proc, ready, output: () => out, stop: () => { try { proc.kill('SIGTERM'); } catch { /* gone */ } } };
}

export function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export function randomBytes(n) {
  return crypto.randomBytes(n);
}

// Keeps every RTCPeerConnection the pages of `context` make in window.ferryTestPcs, so a test
// can ask the browser itself (getStats) which candidate pair carries the data. Call it before
// opening pages; the client does not notice (the class is the browser's, extended).
export async function trackPeerConnections(context) {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.ferryTestPcs = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.ferryTestPcs.push(this);
      }
    };
  });
}

// How often a page's person looks for a new offer to accept (acceptOffers).
const kAcceptLookMs = 200;
// Failed looks in a row (a page gone for 10 s) after which the person stops looking.
const kAcceptGiveUpLooks = 50;

// The person at `cp` (a ClientPage or a FirefoxClientPage) accepts every file of every offer
// as its panel appears, by clicking its Accept button: what most scenarios need, so that they
// go on testing what they test. e2e.accept_decline drives the panel by hand instead ({ accept:
// false }). An offer's button is clicked once; again only if it is still there a while later
// (a click lost to a repaint) or when it comes back (the same offer asked again after a reload).
export function acceptOffers(cp) {
  const clickedAt = new Map();
  cp.accepting = true;
  let failures = 0;
  (async () => {
    // A phone is tapped (its canvas takes touches), a desktop clicked.
    const touch = cp.page.touchscreen && await cp.page.evaluate(() => navigator.maxTouchPoints > 0).catch(() => false);
    while (cp.accepting) {
      let ids;
      try {
        ids = await cp.page.evaluate(() => Object.keys(window.ferryWidgets || {}).filter((k) => /^accept-in-\d+$/.test(k)));
        failures = 0;
      } catch {
        // Reloading (the page comes back) or closed (it does not): look again a little later.
        if ((cp.page.isClosed && cp.page.isClosed()) || ++failures > kAcceptGiveUpLooks) return;
        await new Promise((r) => setTimeout(r, kAcceptLookMs));
        continue;
      }
      for (const id of clickedAt.keys()) if (!ids.includes(id)) clickedAt.delete(id);
      for (const id of ids) {
        const at = clickedAt.get(id);
        if (at !== undefined && Date.now() - at < 10 * kAcceptLookMs) continue;
        clickedAt.set(id, Date.now());
        log(`${cp.name} accepts the offer (${id})`);
        const press = touch
          ? async () => { const r = await cp.widget(id); await cp.page.touchscreen.tap(r.x + r.w / 2, r.y + r.h / 2); }
          : () => cp.click(id);
        await press().catch(() => {});
      }
      await new Promise((r) => setTimeout(r, kAcceptLookMs));
    }
  })();
}

// A page of the client, with the actions a person takes.
export class ClientPage {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.console = [];
    page.on('console', (m) => this.console.push(`[${name}] ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.console.push(`[${name}] pageerror: ${e.message}`));
  }

  // Tests run where the File System Access save picker cannot be driven headless; without it
  // the client offers a download (as in Firefox and Safari), which the test can check.
  // accept: the person accepts every offer (acceptOffers); false: the test answers offers.
  // The folder picker (showDirectoryPicker) cannot be driven headless either: by default it is
  // gone too (a received folder then downloads as a ZIP); with pickFolder the page's picker
  // answers at once with a folder in the page's own private storage, "ferry-e2e-picked", where
  // the test reads what was saved (pickedTree): the same File System Access handles a real pick
  // gives, without the dialog.
  static async open(context, url, name, { accept = true, pickFolder = false } = {}) {
    const page = await context.newPage();
    const cp = new ClientPage(page, name);
    await page.addInitScript((pick) => {
      delete window.showSaveFilePicker;
      if (pick) {
        window.showDirectoryPicker = async () => (await navigator.storage.getDirectory())
          .getDirectoryHandle('ferry-e2e-picked', { create: true });
      } else {
        delete window.showDirectoryPicker;
      }
    }, pickFolder);
    await page.goto(url);
    await page.waitForFunction(() => window.ferryWidgets !== undefined, null, { timeout: kStepTimeoutMs });
    if (accept) acceptOffers(cp);
    return cp;
  }

  async widget(id, timeout = kStepTimeoutMs) {
    const handle = await this.page.waitForFunction((w) => window.ferryWidgets && window.ferryWidgets[w], id, { timeout, polling: kPollMs });
    return handle.jsonValue();
  }

  async click(id) {
    const r = await this.widget(id);
    // A DOM overlay sits over gesture widgets; clicking the point hits whatever is on top,
    // exactly as a finger or mouse would.
    await this.page.mouse.click(r.x + r.w / 2, r.y + r.h / 2);
  }

  async type(id, text) {
    await this.click(id);
    await this.page.keyboard.type(text, { delay: 20 });
  }

  // Chooses files through the file input that lies over the "Send files" button.
  async chooseFiles(files, id = 'send-files') {
    await this.widget(id);
    const input = this.page.locator(`input[data-ferry-widget="${id}"]`);
    await input.setInputFiles(files);
  }

  // Drops files or folders from disk on the page, as a file manager's drag does: Chromium's
  // DevTools protocol carries the paths into a real drop (DataTransfer items whose
  // webkitGetAsEntry walks the folders, empty ones included). Chromium only.
  async dropPaths(paths) {
    const cdp = await this.page.context().newCDPSession(this.page);
    const data = { items: [], files: paths, dragOperationsMask: 1 };
    const at = { x: 200, y: 200 };
    for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
    await cdp.detach();
  }

  // The activity log's lines (the role=log list the page keeps for screen readers).
  async activity() {
    return this.page.evaluate(() => [...document.querySelectorAll('#ferry-log li')].map((li) => li.textContent));
  }

  async status() {
    return this.page.evaluate(() => document.getElementById('ferry-live').textContent);
  }

  // The short code the creator shows. The page draws it on the canvas only (it is a password:
  // never in the DOM), so the test reads it through the client's test hook, as a person reads
  // it off the screen. Waits until there is one.
  async shortCode(timeout = kStepTimeoutMs) {
    const h = await this.page.waitForFunction(() => window.Module && Module.ferryTestShortCode && Module.ferryTestShortCode(),
      null, { timeout, polling: kPollMs });
    return h.jsonValue();
  }

  async waitStatus(re, timeout = kStepTimeoutMs) {
    await this.page.waitForFunction((src) => new RegExp(src).test(document.getElementById('ferry-live').textContent),
      re.source, { timeout, polling: kPollMs });
  }

  // Saves a received file through its Save button and returns the downloaded bytes.
  async save(id, timeout = kStepTimeoutMs) {
    await this.widget(id, timeout);
    const [download] = await Promise.all([
      this.page.waitForEvent('download', { timeout }),
      this.click(id),
    ]);
    const file = await download.path();
    return { name: download.suggestedFilename(), bytes: fs.readFileSync(file) };
  }

  // The selected candidate pair of the page's connected RTCPeerConnection, as getStats reports
  // it: { local, remote: { type, address, port, protocol, relayProtocol }, iceServers }, or
  // null. Needs trackPeerConnections on the page's context.
  async selectedPair() {
    return this.page.evaluate(async () => {
      for (const pc of (window.ferryTestPcs || []).slice().reverse()) {
        if (pc.connectionState !== 'connected') continue;
        const stats = await pc.getStats();
        let pair = null;
        stats.forEach((r) => {
          if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
        });
        if (!pair) continue;
        const candidate = (id) => {
          const c = stats.get(id);
          return c && { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol,
            relayProtocol: c.relayProtocol };
        };
        return { local: candidate(pair.localCandidateId), remote: candidate(pair.remoteCandidateId),
          iceServers: pc.getConfiguration().iceServers };
      }
      return null;
    });
  }

  async screenshot(label) {
    fs.mkdirSync(kOut, { recursive: true });
    const file = path.join(kOut, `${label}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
