// Firefox ESR for end-to-end tests, on the scenario's side. The browser and its driver
// (lib/firefox_driver.mjs, puppeteer-core over WebDriver BiDi) run together inside a test
// namespace; this file talks to the driver over its stdin/stdout and offers the same methods
// as ClientPage (open, widget, click, type, chooseFiles, status, waitStatus, save, screenshot),
// so a scenario treats Chromium and Firefox alike.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { ClientPage, acceptOffers, kOut, kStepTimeoutMs } from './ferry.mjs';

const kDriver = path.join(path.dirname(new URL(import.meta.url).pathname), 'firefox_driver.mjs');
const kLaunchTimeoutMs = 120_000;   // Firefox starts in seconds; on a busy 2-core machine, more
const kLogLinesKept = 300;          // Firefox's stderr kept for failure reports

export class FirefoxBrowser {
  constructor(proc, name) {
    this.proc = proc;
    this.name = name;
    this.pending = new Map();  // request id -> {resolve, reject}
    this.pageConsoles = new Map();  // page id -> array of lines
    this.log = [];
    this.downloadDirs = [];  // removed on close()
    this.nextId = 1;
    this.exited = false;
    readline.createInterface({ input: proc.stdout }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: proc.stderr }).on('line', (line) => {
      this.log.push(line);
      if (this.log.length > kLogLinesKept) this.log.shift();
    });
    proc.on('exit', (code) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`firefox driver exited (${code}):\n${this.log.slice(-40).join('\n')}`));
      this.pending.clear();
    });
  }

  // Starts the driver in namespace `ns` and Firefox with it. secureOrigins: http origins to
  // treat as secure contexts; extraPrefs: Firefox preferences to add or override.
  static async launch(ns, secureOrigins, name = ns, extraPrefs = {}) {
    const cmd = ns ? ['ip', ['netns', 'exec', ns, process.execPath, kDriver]] : [process.execPath, [kDriver]];
    const proc = spawn(cmd[0], cmd[1], { stdio: ['pipe', 'pipe', 'pipe'] });
    const b = new FirefoxBrowser(proc, name);
    const secureHosts = [...new Set(secureOrigins.map((o) => new URL(o).hostname))];
    b.version = await b.rpc('launch', { secureHosts, extraPrefs }, kLaunchTimeoutMs);
    return b;
  }

  onLine(line) {
    let msg;
    try { msg = JSON.parse(line); } catch { this.log.push(line); return; }
    if (msg.event === 'console') {
      const list = this.pageConsoles.get(msg.page);
      if (list) list.push(msg.text);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.error));
  }

  // One command; bounded here too, in case the driver itself hangs.
  rpc(op, args = {}, timeout = kStepTimeoutMs) {
    if (this.exited) return Promise.reject(new Error('firefox driver is gone'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`firefox ${op}: no answer within ${timeout + 20_000} ms`));
      }, timeout + 20_000);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.proc.stdin.write(JSON.stringify({ id, op, timeout, ...args }) + '\n');
    });
  }

  // Same shape as Playwright's browser.newContext({viewport}); downloads go to a temp folder.
  async newContext({ viewport } = {}) {
    const downloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-ff-dl-'));
    this.downloadDirs.push(downloadDir);
    const id = await this.rpc('newContext', { downloadDir });
    return new FirefoxContext(this, id, viewport, downloadDir);
  }

  async close() {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.proc.once('exit', resolve));
      await this.rpc('close', {}, 20_000).catch(() => {});
      const timer = setTimeout(() => { try { this.proc.kill('SIGKILL'); } catch { /* gone */ } }, 15_000);
      await gone;
      clearTimeout(timer);
    }
    for (const d of this.downloadDirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

export class FirefoxContext {
  constructor(browser, id, viewport, downloadDir) {
    this.browser = browser;
    this.id = id;
    this.viewport = viewport;
    this.downloadDir = downloadDir;
  }

  async close() {
    await this.browser.rpc('closeContext', { context: this.id }).catch(() => {});
    fs.rmSync(this.downloadDir, { recursive: true, force: true });
  }
}

// The few Playwright page calls scenarios make directly (evaluate, waitForFunction, screenshot
// with a clip), with Playwright's signatures.
class PageShim {
  constructor(client) { this.client = client; }
  evaluate(fn, arg) { return this.client.rpc('evaluate', { fn: fn.toString(), arg }); }
  waitForFunction(fn, arg, { timeout = kStepTimeoutMs } = {}) {
    return this.client.rpc('waitForFunction', { fn: fn.toString(), arg }, timeout);
  }
  async screenshot({ path: file, clip } = {}) {
    return this.client.rpc('screenshot', { path: file, clip });
  }
}

// A page of the client in Firefox, with the same actions as ClientPage.
export class FirefoxClientPage {
  constructor(ctx, pageId, name) {
    this.ctx = ctx;
    this.browser = ctx.browser;
    this.pageId = pageId;
    this.name = name;
    this.console = [];
    this.browser.pageConsoles.set(pageId, this.console);
    this.page = new PageShim(this);
  }

  rpc(op, args = {}, timeout = kStepTimeoutMs) {
    return this.browser.rpc(op, { page: this.pageId, ...args }, timeout);
  }

  static async open(ctx, url, name, { accept = true } = {}) {
    const pageId = await ctx.browser.rpc('newPage', { context: ctx.id, viewport: ctx.viewport });
    const cp = new FirefoxClientPage(ctx, pageId, name);
    await cp.rpc('goto', { url });
    await cp.rpc('waitForFunction', { fn: (() => window.ferryWidgets !== undefined).toString() });
    if (accept) acceptOffers(cp);
    return cp;
  }

  async widget(id, timeout = kStepTimeoutMs) {
    return this.rpc('waitForFunction', { fn: ((w) => window.ferryWidgets && window.ferryWidgets[w]).toString(), arg: id }, timeout);
  }

  async click(id) {
    const r = await this.widget(id);
    await this.rpc('click', { x: r.x + r.w / 2, y: r.y + r.h / 2 });
  }

  async type(id, text) {
    await this.click(id);
    await this.rpc('type', { text, delay: 20 });
  }

  async chooseFiles(files, id = 'send-files') {
    await this.widget(id);
    await this.rpc('setFiles', { selector: `input[data-ferry-widget="${id}"]`, files });
  }

  async status() {
    return this.rpc('evaluate', { fn: (() => document.getElementById('ferry-live').textContent).toString() });
  }

  async waitStatus(re, timeout = kStepTimeoutMs) {
    await this.rpc('waitForFunction', {
      fn: ((src) => new RegExp(src).test(document.getElementById('ferry-live').textContent)).toString(),
      arg: re.source,
    }, timeout);
  }

  // Saves a received file through its Save button; returns the name the page suggested, the
  // name Firefox saved it under, and the bytes.
  async save(id, timeout = kStepTimeoutMs) {
    const r = await this.widget(id, timeout);
    const d = await this.rpc('clickDownload', { x: r.x + r.w / 2, y: r.y + r.h / 2 }, timeout);
    const bytes = fs.readFileSync(d.filepath);
    fs.rmSync(d.filepath, { force: true });
    return { name: d.suggestedFilename, savedAs: d.savedAs, bytes };
  }

  async screenshot(label) {
    fs.mkdirSync(kOut, { recursive: true });
    return this.rpc('screenshot', { path: path.join(kOut, `${label}.png`) });
  }
}

// Opens the client in whichever browser `ctx` belongs to.
export function openClient(ctx, url, name) {
  return ctx instanceof FirefoxContext ? FirefoxClientPage.open(ctx, url, name) : ClientPage.open(ctx, url, name);
}
