// bench/storage: writing a received file to OPFS, the storage worker (FileSystemSyncAccessHandle,
// web/platform/js/storage.js + shell/storage-worker.js) against the createWritable() path it replaced
// (copied below as it was in glue.js, so both run on the same page in the same run).
//
//   node bench/storage/run.mjs [--mb 1024] [--rounds 1] [--reads 3]
//
// Each mode runs in a fresh browser with a profile on disk (a Playwright context without one is
// off the record, and its OPFS lives in the browser process's memory): a file of --mb MiB written in
// 64 KiB writes, each copied out of one buffer as the receiver copies out of wasm memory, then
// finished (flushed and closed). "bounded" keeps at most 16 MiB posted and not yet written (what
// a receiver that reads storagePending() can do); "unbounded" posts everything at once (what
// the old code did: nothing limited its queue). Then --reads read-backs of 64 KiB from the full
// file (the receiver re-hashing a chunk that arrived out of order). Reports time, MB/s, peak RSS
// of the renderer and of all the browser's processes together (sampled every 250 ms), and the
// read-back latency. This machine is noisy: compare modes within one run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromiumWithProfile } from '../../tests/e2e/lib/browser.mjs';
import { log } from '../../tests/e2e/lib/ferry.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { chromiumRssMB } from '../../tests/e2e/lib/procs.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const kMiB = arg('mb', 1024);
const kRounds = arg('rounds', 1);
const kReads = arg('reads', 3);
const kTrace = process.argv.includes('--trace');  // log the renderer's RSS every second
const kChunk = 64 * 1024;
const kWindow = 16 * 1024 * 1024;  // the bounded modes' limit on bytes posted, not written
const kModes = (process.env.FERRY_BENCH_MODES || 'worker-bounded,legacy-bounded,worker-unbounded,legacy-unbounded').split(',');

// Runs in the page. The legacy sink is the removed glue.js code (sinkOpen/sinkWrite/sinkRead/
// sinkFinish with createWritable), with a counter of queued bytes added so it can be bounded.
async function pageRun({ mode, bytes, chunk, window: win, reads }) {
  const legacy = mode.startsWith('legacy');
  const bounded = mode.endsWith('-bounded');
  const src = new Uint8Array(chunk);
  crypto.getRandomValues(src);
  let wake = null;
  const wakeUp = () => { if (wake) { const w = wake; wake = null; w(); } };
  const until = (cond) => new Promise((resolve) => {
    const check = () => { if (cond()) resolve(); else wake = check; };
    check();
  });
  const events = [];
  const inner = Module.ferryEvent;
  Module.ferryEvent = (h, kind, text, number, b) => {
    events.push({ h, kind, text: text !== '' ? text : String(number) });
    inner(h, kind, text, number, b);
    wakeUp();
  };
  // Read-backs come as data batches (platform/js/core.js): recorded as sink_read events.
  const arena = Module.ferryArena;
  const deliver = Module.ferryDeliver;
  let base = 0;
  Module.ferryArena = (n, count) => { base = arena(n, count); return base; };
  Module.ferryDeliver = (n) => {
    const u32 = new Uint32Array(Module.HEAPU8.buffer);
    for (let i = 0; i < n; i++) {
      const t = (base >> 2) + 4 * i;
      if (u32[t] === 4) events.push({ h: u32[t + 1], kind: 'sink_read', text: String(u32[t + 2]) });
    }
    deliver(n);
    wakeUp();
  };
  const drain = Module.ferryDrain;
  Module.ferryDrain = () => { drain(); wakeUp(); };  // the glue drains after each write ack
  const event = (h, kind) => until(() => events.some((e) => e.h === h && (e.kind === kind || e.kind === 'sink_error')))
    .then(() => { const e = events.find((x) => x.h === h && (x.kind === kind || x.kind === 'sink_error')); if (e.kind === 'sink_error') throw new Error(e.text); });

  let sink;
  if (legacy) {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('ferry-incoming', { create: true });
    const file = await dir.getFileHandle('legacy-' + Date.now(), { create: true });
    sink = { file, writable: await file.createWritable({ keepExistingData: false }), chain: Promise.resolve(), queued: 0 };
  } else {
    sink = Module.ferryGlue.sinkOpen('opfs', 'bench-' + Date.now(), 'bench.bin', bytes, false);
    await event(sink, 'sink_opened');
  }
  const pending = () => (legacy ? sink.queued : Module.ferryGlue.storagePending());
  const write = (offset, view) => {
    if (!legacy) {
      // As the receiver writes: (pointer, length) in wasm memory, here the arena.
      const p = arena(view.length, 0);
      Module.HEAPU8.set(view, p);
      Module.ferryGlue.sinkWrite(sink, offset, p, view.length);
      return;
    }
    const copy = view.slice();
    sink.queued += copy.length;
    sink.chain = sink.chain.then(() => sink.writable.write({ type: 'write', position: offset, data: copy }))
      .then(() => { sink.queued -= copy.length; wakeUp(); });
  };
  const t0 = performance.now();
  for (let at = 0; at < bytes; at += chunk) {
    if (bounded && pending() > win) await until(() => pending() <= win);
    src[0] = at / chunk;  // every chunk different
    write(at, src.subarray(0, Math.min(chunk, bytes - at)));
  }
  const tPosted = performance.now();
  await until(() => pending() === 0);
  const tWritten = performance.now();
  // Read-backs from the whole file (each waits for nothing else: every write is done).
  const readMs = [];
  for (let r = 0; r < reads; r++) {
    const offset = Math.floor(((r + 1) / (reads + 1)) * (bytes / chunk)) * chunk;
    const t = performance.now();
    if (legacy) {
      await (sink.chain = sink.chain.then(() => sink.writable.close())
        .then(() => sink.file.getFile())
        .then((f) => f.slice(offset, offset + chunk).arrayBuffer())
        .then(() => sink.file.createWritable({ keepExistingData: true }))
        .then((w) => { sink.writable = w; }));
    } else {
      Module.ferryGlue.sinkRead(sink, offset, chunk, 1000 + r);
      await until(() => events.some((e) => e.h === sink && e.kind === 'sink_read' && e.text === String(1000 + r)));
    }
    readMs.push(performance.now() - t);
  }
  // Finish: flush and close (the legacy writable commits its data only here).
  const tFinish = performance.now();
  if (legacy) {
    await (sink.chain = sink.chain.then(() => sink.writable.close()));
  } else {
    Module.ferryGlue.sinkFinish(sink);
    await event(sink, 'finished');
  }
  const tEnd = performance.now();
  return { writeMs: tWritten - t0 + (tEnd - tFinish), postMs: tPosted - t0, finishMs: tEnd - tFinish, readMs };
}

await runScenario('bench_storage', async (env) => {
  const bytes = kMiB * 1024 * 1024;
  const results = [];
  for (let round = 0; round < kRounds; round++) {
    for (const mode of kModes) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-profile-'));
      const ctx = await launchChromiumWithProfile(env.lan, 'a', env.origin, profile);
      try {
        const page = ctx.pages()[0] || await ctx.newPage();
        await page.goto(env.origin + '/');
        await page.waitForFunction(() => window.ferryWidgets !== undefined, null, { timeout: 60000 });
        const idle = chromiumRssMB(env.lan.ns.a);
        const peak = { renderer: 0, total: 0 };
        let ticks = 0;
        const sampler = setInterval(() => {
          const s = chromiumRssMB(env.lan.ns.a);
          if (kTrace && ++ticks % 4 === 0) log(`  ${mode}: renderer ${Math.round(s.renderer)} MB, all ${Math.round(s.total)} MB`);
          peak.renderer = Math.max(peak.renderer, s.renderer);
          peak.total = Math.max(peak.total, s.total);
        }, 250);
        const r = await page.evaluate(pageRun, { mode, bytes, chunk: kChunk, window: kWindow, reads: kReads })
          .finally(() => clearInterval(sampler));
        const row = {
          mode, mib: kMiB, seconds: +(r.writeMs / 1000).toFixed(2), mbps: +(bytes / 1e6 / (r.writeMs / 1000)).toFixed(0),
          post_s: +(r.postMs / 1000).toFixed(2), finish_s: +(r.finishMs / 1000).toFixed(2),
          renderer_idle_mb: Math.round(idle.renderer), renderer_peak_mb: Math.round(peak.renderer),
          all_idle_mb: Math.round(idle.total), all_peak_mb: Math.round(peak.total),
          read_back_ms: r.readMs.map((x) => Math.round(x)),
        };
        results.push(row);
        log(JSON.stringify(row));
      } finally {
        await ctx.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    }
  }
  console.log(JSON.stringify(results, null, 1));
});
