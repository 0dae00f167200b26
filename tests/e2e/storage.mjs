// e2e.storage: the receiver's storage (platform/js/storage.js + shell/storage-worker.js) in real Chromium, on
// the page the real server serves (so its CSP must let the worker load). Through
// Module.ferryGlue it writes a file out of order into an OPFS sink, reads ranges back, stores a
// state, RELOADS the page, finds the state again, reopens the sink with keep=true, checks that
// the bytes survived, writes the rest, finishes, downloads, and compares SHA-256. Also: keep=false
// empties a file, an aborted sink's file is deleted, a state is replaced whole, the sweep deletes
// other rooms' leftovers and spares the kept prefix, a second sink on a file still open is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromiumWithProfile } from './lib/browser.mjs';
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { runScenario } from './lib/scenario.mjs';

const kChunk = 64 * 1024;
const kSize = 4 * 1024 * 1024 + 17;        // 65 chunks, the last one 17 bytes
const kChunks = Math.ceil(kSize / kChunk);
const kKey = 'testroom-1-0';
const kName = 'résumé après reload.bin';

// A fixed permutation (no Math.random: a failure must replay the same way).
function shuffled(list, seed) {
  const out = list.slice();
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// Page side: records every glue event (the C++ side ignores handles it does not know), and
// helpers to wait for one. Installed again after the reload.
async function instrument(page) {
  await page.evaluate(() => {
    window.ev = [];
    const waiters = new Set();
    const inner = Module.ferryEvent;
    // Events carry numbers (sizes, request ids) apart from text: recorded as text here.
    Module.ferryEvent = (h, kind, text, number, bytes) => {
      window.ev.push({ h, kind, text: text !== '' ? text : String(number), bytes: bytes ? new Uint8Array(bytes) : null });
      inner(h, kind, text, number, bytes);
      waiters.forEach((w) => w());
    };
    // Read-backs come as data batches (platform/js/core.js): recorded as sink_read events.
    const arena = Module.ferryArena;
    const deliver = Module.ferryDeliver;
    let base = 0;
    Module.ferryArena = (bytes, count) => { base = arena(bytes, count); return base; };
    Module.ferryDeliver = (n) => {
      const u32 = new Uint32Array(Module.HEAPU8.buffer);
      let at = base + 16 * n;
      for (let i = 0; i < n; i++) {
        const t = (base >> 2) + 4 * i;
        const len = u32[t + 3];
        if (u32[t] === 4) {
          window.ev.push({ h: u32[t + 1], kind: 'sink_read', text: String(u32[t + 2]), bytes: Module.HEAPU8.slice(at, at + len) });
        }
        at += len;
      }
      deliver(n);
      waiters.forEach((w) => w());
    };
    // Bytes for the glue's (pointer, length) calls: copied into wasm memory (the arena) first.
    window.inWasm = (u8) => {
      const p = arena(u8.length, 0);
      Module.HEAPU8.set(u8, p);
      return p;
    };
    window.sinkWrite = (h, at, u8) => Module.ferryGlue.sinkWrite(h, at, window.inWasm(u8), u8.length);
    window.stateWrite = (key, u8) => Module.ferryGlue.stateWrite(key, window.inWasm(u8), u8.length);
    // The next event of one of `kinds` on handle h (an error event on h fails it).
    window.nextEvent = (h, kinds, timeoutMs) => new Promise((resolve, reject) => {
      const fail = ['sink_error', 'storage_error'];
      const check = () => {
        const i = window.ev.findIndex((e) => e.h === h && (kinds.includes(e.kind) || fail.includes(e.kind)));
        if (i < 0) return false;
        waiters.delete(check);
        clearTimeout(timer);
        const e = window.ev.splice(i, 1)[0];
        if (!kinds.includes(e.kind)) reject(new Error(`${e.kind} on handle ${h}: ${e.text}`));
        else resolve({ kind: e.kind, text: e.text, bytes: e.bytes ? Array.from(e.bytes) : null });
        return true;
      };
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${kinds} event on handle ${h}`)); }, timeoutMs);
      if (!check()) waiters.add(check);
    });
    window.setContent = (b64) => { window.content = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); };
    // Every stored state under prefix, as {key, text}.
    window.listStates = async (prefix) => {
      const st = Module.ferryGlue.storageOpen();
      Module.ferryGlue.stateList(prefix);
      const got = [];
      for (;;) {
        const e = await window.nextEvent(st, ['state', 'state_done'], 60000);
        if (e.kind === 'state_done') return got;
        got.push({ key: e.text, text: new TextDecoder().decode(new Uint8Array(e.bytes)) });
      }
    };
    window.opfsNames = async () => {
      const d = await (await navigator.storage.getDirectory()).getDirectoryHandle('ferry-incoming', { create: true });
      const names = [];
      for await (const n of d.keys()) names.push(n);
      return names.sort();
    };
  });
}

async function readBack(page, h, offset, length, req) {
  return page.evaluate(async ({ h, offset, length, req }) => {
    Module.ferryGlue.sinkRead(h, offset, length, req);
    const e = await window.nextEvent(h, ['sink_read'], 60000);
    if (e.text !== String(req)) throw new Error(`sink_read answered request ${e.text}, not ${req}`);
    const want = window.content.subarray(offset, offset + length);
    if (e.bytes.length !== want.length) return `read ${e.bytes.length} bytes at ${offset}, wanted ${want.length}`;
    for (let i = 0; i < want.length; i++) if (e.bytes[i] !== want[i]) return `byte ${offset + i} differs`;
    return 'ok';
  }, { h, offset, length, req });
}

async function writeChunks(page, h, chunks) {
  return page.evaluate(({ h, chunks, kChunk, kSize }) => {
    for (const i of chunks) {
      const at = i * kChunk;
      window.sinkWrite(h, at, window.content.subarray(at, Math.min(kSize, at + kChunk)));
    }
    return Module.ferryGlue.storagePending();  // nothing can be acknowledged within this task
  }, { h, chunks, kChunk, kSize });
}

// A profile on disk, as a person's browser has: OPFS files are real files, their locks real.
await runScenario('storage', async (env) => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-profile-'));
  const ctx = await launchChromiumWithProfile(env.lan, 'a', env.origin, profile, { acceptDownloads: true });
  try {
    await check(env, ctx);
  } catch (e) {
    // The frame's failure screenshots come after this browser is closed: take them now.
    for (const pg of env.pages) await pg.screenshot(`failure-storage-${pg.name}`).catch(() => {});
    throw e;
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

async function check(env, ctx) {
  const content = randomBytes(kSize);
  const b64 = content.toString('base64');
  const p = await ClientPage.open(ctx, env.origin + '/', 'storage');
  env.pages.push(p);
  const page = p.page;
  await instrument(page);
  await page.evaluate((b) => window.setContent(b), b64);
  if (await page.evaluate(() => Module.ferryGlue.storageMode()) !== 'opfs') throw new Error('no OPFS on this page');

  // A leftover under the same key from an earlier attempt: keep=false must start empty.
  const junkSize = await page.evaluate(async (key) => {
    const g = Module.ferryGlue;
    const h = g.sinkOpen('opfs', key, 'junk', 0, false);
    await window.nextEvent(h, ['sink_opened'], 60000);
    window.sinkWrite(h, 0, new Uint8Array(9 * 1024 * 1024).fill(7));
    g.sinkFinish(h);
    await window.nextEvent(h, ['finished'], 60000);
    const h2 = g.sinkOpen('opfs', key, 'junk', 0, true);
    const e = await window.nextEvent(h2, ['sink_opened'], 60000);
    g.sinkFinish(h2);
    await window.nextEvent(h2, ['finished'], 60000);
    return Number(e.text);
  }, kKey);
  if (junkSize !== 9 * 1024 * 1024) throw new Error(`keep=true reopened ${junkSize} bytes, not the 9 MiB written`);

  // Phase 1: two thirds of the chunks, out of order; an aborted sink; states.
  const order = shuffled([...Array(kChunks).keys()], 7);
  const first = order.slice(0, Math.floor(kChunks * 2 / 3));
  const rest = order.slice(first.length);
  const sink1 = await page.evaluate(async ({ key, name, size }) => {
    const h = Module.ferryGlue.sinkOpen('opfs', key, name, size, false);
    const e = await window.nextEvent(h, ['sink_opened'], 60000);
    if (e.text !== '0') throw new Error(`keep=false opened a file of ${e.text} bytes`);
    return h;
  }, { key: kKey, name: kName, size: kSize });
  const pending = await writeChunks(page, sink1, first);
  if (pending <= 0) throw new Error('storagePending() is 0 right after posting ' + first.length + ' writes');
  await page.waitForFunction(() => Module.ferryGlue.storagePending() === 0, null, { timeout: kStepTimeoutMs });
  log(`phase 1: ${first.length} of ${kChunks} chunks written out of order (${pending} bytes were pending)`);
  // Ranges spanning several written chunks, and a single chunk.
  const runs = [];
  const have = new Set(first);
  for (let i = 0; i < kChunks; i++) if (have.has(i) && have.has(i + 1) && have.has(i + 2)) { runs.push(i); i += 2; }
  if (!runs.length) throw new Error('the permutation left no three adjacent chunks');
  let req = 1;
  for (const i of runs.slice(0, 3)) {
    const r = await readBack(page, sink1, i * kChunk + 123, 2 * kChunk + 4000, req++);
    if (r !== 'ok') throw new Error('read back: ' + r);
  }
  const r1 = await readBack(page, sink1, first[0] * kChunk, Math.min(kChunk, kSize - first[0] * kChunk), req++);
  if (r1 !== 'ok') throw new Error('read back: ' + r1);

  const state = JSON.stringify({ have: first.slice().sort((a, b) => a - b) });
  const stored = await page.evaluate(async ({ key, state }) => {
    const g = Module.ferryGlue;
    const enc = (s) => new TextEncoder().encode(s);
    // An aborted sink leaves no file.
    const hx = g.sinkOpen('opfs', 'testroom-1-1', 'aborted.bin', 100, false);
    window.sinkWrite(hx, 0, new Uint8Array(100));
    g.sinkAbort(hx);
    window.stateWrite(key, enc('{"have": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18] older and longer}'));
    window.stateWrite(key, enc(state));  // replaces the first one whole
    window.stateWrite('otherroom-9-9', enc('a state some other room left behind'));
    // The queue is ordered: once this list answers, the states above are on disk.
    return { got: await window.listStates('testroom-'), names: await window.opfsNames() };
  }, { key: kKey, state });
  if (stored.got.length !== 1 || stored.got[0].key !== kKey || stored.got[0].text !== state) {
    throw new Error('stateList before the reload: ' + JSON.stringify(stored.got));
  }
  log('phase 1: state stored; OPFS holds', stored.names.join(', '));

  // Reload: the worker and its access handles die with the page; the files must not.
  await page.reload();
  await page.waitForFunction(() => window.ferryWidgets !== undefined && Module.ferryEvent, null, { timeout: kStepTimeoutMs });
  await instrument(page);
  await page.evaluate((b) => window.setContent(b), b64);
  const after = await page.evaluate(async () => ({ got: await window.listStates(''), names: await window.opfsNames() }));
  const mine = after.got.filter((s) => s.key === kKey);
  if (mine.length !== 1 || mine[0].text !== state) throw new Error('stateList after the reload: ' + JSON.stringify(after.got));
  if (!after.got.some((s) => s.key === 'otherroom-9-9')) throw new Error('the other room\'s state is missing');
  if (after.names.includes('testroom-1-1')) throw new Error('the aborted sink left its file: ' + after.names);
  if (after.names.some((n) => n.endsWith('.tmp'))) throw new Error('a temporary state file was left: ' + after.names);
  const resumed = JSON.parse(mine[0].text).have;
  log('after reload: state found, have', resumed.length, 'chunks; OPFS holds', after.names.join(', '));

  const reopened = await page.evaluate(async ({ key, name, size }) => {
    const h = Module.ferryGlue.sinkOpen('opfs', key, name, size, true);
    const e = await window.nextEvent(h, ['sink_opened'], 60000);
    return { h, size: Number(e.text) };
  }, { key: kKey, name: kName, size: kSize });
  const sink2 = reopened.h;
  const maxEnd = Math.max(...resumed.map((i) => Math.min(kSize, (i + 1) * kChunk)));
  if (reopened.size !== maxEnd) throw new Error(`keep=true reopened ${reopened.size} bytes, expected ${maxEnd}`);
  for (const i of resumed.slice(0, 40)) {
    const r = await readBack(page, sink2, i * kChunk, Math.min(kChunk, kSize - i * kChunk), req++);
    if (r !== 'ok') throw new Error(`chunk ${i} did not survive the reload: ${r}`);
  }
  log('after reload: the bytes written before it survived');
  const twice = await page.evaluate(async ({ key, name, size }) => {
    const h = Module.ferryGlue.sinkOpen('opfs', key, name, size, true);
    return (await window.nextEvent(h, ['sink_error', 'sink_opened'], 60000)).text;
  }, { key: kKey, name: kName, size: kSize });
  if (!/still has the file open/.test(twice)) throw new Error('a second sink on an open file: ' + twice);

  await writeChunks(page, sink2, rest);
  const whole = await readBack(page, sink2, 0, kSize, req++);
  if (whole !== 'ok') throw new Error('whole file read back: ' + whole);
  await page.evaluate(async (h) => {
    Module.ferryGlue.sinkFinish(h);
    await window.nextEvent(h, ['finished'], 60000);
  }, sink2);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: kStepTimeoutMs }),
    page.evaluate(async (h) => {
      Module.ferryGlue.sinkDownload(h);
      await window.nextEvent(h, ['saved'], 60000);
    }, sink2),
  ]);
  const bytes = fs.readFileSync(await download.path());
  if (download.suggestedFilename() !== kName) throw new Error('downloaded as ' + download.suggestedFilename());
  if (sha256(bytes) !== sha256(content)) throw new Error(`SHA-256 mismatch (${bytes.length} of ${kSize} bytes)`);
  log('download matches: SHA-256', sha256(bytes).slice(0, 16));

  // Clean-up: delete our state, sweep everything but our prefix.
  const swept = await page.evaluate(async (key) => {
    const g = Module.ferryGlue;
    const st = g.storageOpen();
    g.stateDelete(key);
    g.storageSweep('testroom-', 0);
    const e = await window.nextEvent(st, ['swept'], 60000);
    return { count: Number(e.text), names: await window.opfsNames() };
  }, kKey);
  if (swept.count < 1 || swept.names.includes('otherroom-9-9.state')) throw new Error('sweep: ' + JSON.stringify(swept));
  if (swept.names.includes(kKey + '.state')) throw new Error('stateDelete left the state: ' + swept.names);
  if (!swept.names.includes(kKey)) throw new Error('the sweep deleted a kept file: ' + swept.names);
  log('sweep deleted', swept.count, 'file(s); OPFS holds', swept.names.join(', '));
}
