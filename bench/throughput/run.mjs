// bench/throughput: Ferry against a raw DataChannel between the same two Chromiums, in the same
// run, alternating (this machine is noisy: only the ratio means something).
//
//   node bench/throughput/run.mjs [--mb 500] [--rounds 2] [--profile disk|memory]
//
// --profile disk (the default): each browser has a profile on disk, as a user's has, so OPFS is
// a real file the storage worker writes directly. memory: Playwright's launch() contexts, which
// are off the record: Chromium then keeps OPFS in the browser process's memory and every write
// crosses to it (about 0.7 CPU-s per 100 MB of the receiver's browser process, measured with
// Chromium's trace: FileSystemAccessFileDelegateHost, FileWriterDelegate "Write" tasks).
//
// Raw: page-level RTCPeerConnections (no encryption, no server), messages as large as Ferry's
// (--msg, default 64 KiB + 63), an 8 MiB
// high-water mark, bufferedamountlow to refill: the ceiling. Ferry: the real client through the
// real server, a file of the same size chosen in the UI; timed from the first chunk received to
// the file verified. Also reports the receiver's peak renderer RSS and its wasm heap.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ClientPage, kStepTimeoutMs, log, randomBytes } from '../../tests/e2e/lib/ferry.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { chromiumRssMB, forEachChromium } from '../../tests/e2e/lib/procs.mjs';
import { launchChromiumWithProfile } from '../../tests/e2e/lib/browser.mjs';

// A numeric command-line option: --name value (also for the benches that import this file).
export const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const kMB = arg('mb', 500);
const kRounds = arg('rounds', 2);
const kBytes = kMB * 1000 * 1000;
// The raw channel uses Ferry's message size: a 64 KiB chunk plus its frame overhead
// (src/app/session.h kPreferredChunkBytes).
const kMsg = arg('msg', 64 * 1024 + 63);
const kViewport = { width: 1000, height: 900 };

// --name value, for a word.
export const wordArg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// The two benchmark browsers, on hosts a and b. With profile 'disk' each is a persistent
// context on a profile in a fresh temporary folder (removed by close()); with 'memory' each is a
// launched Browser whose contexts are off the record. ferryRound and pageOn take either.
export async function benchBrowsers(env, profile = wordArg('profile', 'disk')) {
  if (profile === 'memory') return { ba: await env.browser('a'), bb: await env.browser('b'), close: async () => {} };
  if (profile !== 'disk') throw new Error(`--profile: disk or memory, not ${profile}`);
  const dirs = ['a', 'b'].map((h) => fs.mkdtempSync(path.join(os.tmpdir(), `ferry-bench-profile-${h}-`)));
  const [ba, bb] = await Promise.all(['a', 'b'].map((h, i) =>
    launchChromiumWithProfile(env.lan, h, env.origin, dirs[i], { viewport: kViewport })));
  return {
    ba, bb,
    async close() {
      await ba.close().catch(() => {});
      await bb.close().catch(() => {});
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
const isPersistent = (b) => typeof b.newContext !== 'function';
// A context for one round: a fresh one of a Browser, or the persistent context itself.
async function roundContext(b) {
  return isPersistent(b) ? b : b.newContext({ viewport: kViewport });
}
export async function pageOn(b) {
  return (await roundContext(b)).newPage();
}

// CPU seconds used so far by each kind of Chromium process in one test host, so a round can be
// attributed: renderer (page + wasm), browser (file reads, OPFS writes), network (SCTP/DTLS), gpu.
// Every Chromium process seen so far in a host, with the CPU time it had when last seen: a
// process that exits between two samples (a closed page's renderer) keeps counting with what
// it had used, so a delta never goes negative; it loses only its time since the last sample.
const seenCpu = new Map();  // ns -> Map(pid -> { kind, secs })
export function cpuByType(ns) {
  const hz = 100;
  if (!seenCpu.has(ns)) seenCpu.set(ns, new Map());
  const seen = seenCpu.get(ns);
  forEachChromium(ns, (pid, cmd) => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const secs = (Number(f[11]) + Number(f[12])) / hz;
    const kind = cmd.includes('--type=renderer') ? 'renderer' : cmd.includes('NetworkService') ? 'network'
      : cmd.includes('--type=gpu') ? 'gpu' : cmd.includes('--type=') ? 'other' : 'browser';
    seen.set(pid, { kind, secs });
  });
  const out = { renderer: 0, browser: 0, network: 0, gpu: 0, other: 0 };
  for (const { kind, secs } of seen.values()) out[kind] += secs;
  return out;
}
export function cpuDelta(before, after, mb) {
  const o = {};
  for (const k of Object.keys(after)) o[k] = Number(((after[k] - before[k]) / (mb / 100)).toFixed(2));
  return o;  // CPU seconds per 100 MB
}

async function rawRound(pa, pb, bytes) {
  // Signalling through the test process; host candidates only (two namespaces on one LAN).
  await pa.evaluate(() => { window.rawPc = new RTCPeerConnection(); window.rawDc = window.rawPc.createDataChannel('raw'); window.rawDc.binaryType = 'arraybuffer'; window.rawIce = []; window.rawPc.onicecandidate = (e) => e.candidate && window.rawIce.push(e.candidate.toJSON()); });
  await pb.evaluate(() => { window.rawPc = new RTCPeerConnection(); window.rawIce = []; window.rawPc.onicecandidate = (e) => e.candidate && window.rawIce.push(e.candidate.toJSON()); window.rawGot = 0; window.rawDone = new Promise((res) => { window.rawPc.ondatachannel = (e) => { e.channel.binaryType = 'arraybuffer'; e.channel.onmessage = (m) => { if (window.rawGot === 0) window.rawT0 = performance.now(); window.rawGot += m.data.byteLength; if (window.rawGot >= window.rawTarget) res(performance.now() - window.rawT0); }; }; }); });
  await pb.evaluate((n) => { window.rawTarget = n; }, bytes);
  const offer = await pa.evaluate(async () => { const o = await window.rawPc.createOffer(); await window.rawPc.setLocalDescription(o); return o; });
  const answer = await pb.evaluate(async (o) => { await window.rawPc.setRemoteDescription(o); const a = await window.rawPc.createAnswer(); await window.rawPc.setLocalDescription(a); return a; }, offer);
  await pa.evaluate(async (a) => { await window.rawPc.setRemoteDescription(a); }, answer);
  await pa.waitForTimeout(500);
  const ia = await pa.evaluate(() => window.rawIce);
  const ib = await pb.evaluate(() => window.rawIce);
  await pb.evaluate(async (c) => { for (const x of c) await window.rawPc.addIceCandidate(x); }, ia);
  await pa.evaluate(async (c) => { for (const x of c) await window.rawPc.addIceCandidate(x); }, ib);
  await pa.evaluate(({ n, size }) => new Promise((res) => {
    const dc = window.rawDc;
    const buf = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buf.subarray(i, Math.min(size, i + 65536)));
    let sent = 0;
    dc.bufferedAmountLowThreshold = 2 * 1024 * 1024;
    const pump = () => {
      while (sent < n && dc.bufferedAmount < 8 * 1024 * 1024) {
        const len = Math.min(size, n - sent);
        dc.send(len === size ? buf : buf.subarray(0, len));
        sent += len;
      }
      if (sent >= n) res(); else dc.onbufferedamountlow = pump;
    };
    if (dc.readyState === 'open') pump(); else dc.onopen = pump;
  }), { n: bytes, size: kMsg });
  const ms = await pb.evaluate(() => window.rawDone);
  await pa.evaluate(() => window.rawPc.close());
  await pb.evaluate(() => window.rawPc.close());
  return bytes / 1e6 / (ms / 1000);
}

// One Ferry transfer of `file` from a page in `ba` to one in `bb`. Hooks (all optional, awaited):
// onContext(ctx) before a context opens its page, onStart(a, b) when the first chunk has arrived,
// beforeClose(a, b) when the file is verified, before the pages close.
export async function ferryRound(env, ba, bb, file, bytes, beforeClose, { onContext, onStart } = {}) {
  const ctxA = await roundContext(ba);
  if (onContext) await onContext(ctxA);
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const a = await ClientPage.open(ctxA, env.origin + '/', 'A');
  await a.chooseFiles([file]);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  const ctxB = await roundContext(bb);
  if (onContext) await onContext(ctxB);
  const b = await ClientPage.open(ctxB, link, 'B');
  await b.page.waitForFunction(() => Module.ferryStats.received > 1, null, { timeout: kStepTimeoutMs });
  // B's person accepted (the first chunk is here): nobody looks for offers any more, so the
  // harness adds no page calls to what the round measures.
  a.accepting = false;
  b.accepting = false;
  if (onStart) await onStart(a, b);
  const t0 = Date.now();
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, chromiumRssMB(env.lan.ns.b).renderer); }, 250);
  await b.widget('save-1-0', 20 * kStepTimeoutMs);
  clearInterval(sampler);
  const ms = Date.now() - t0;
  const heapMB = await b.page.evaluate(() => Module.HEAPU8.length / 1048576);
  // JS<->wasm crossings per chunk on each side (platform/js/core.js counts calls both ways).
  const statsOf = (p) => p.page.evaluate(() => Object.assign({}, Module.ferryStats));
  const sa = await statsOf(a);
  const sb = await statsOf(b);
  const crossings = {
    sender: (sa.toWasm + sa.fromWasm) / Math.max(1, sa.sent),
    receiver: (sb.toWasm + sb.fromWasm) / Math.max(1, sb.received),
    receiverSinkPostsPerChunk: sb.sinkPosts / Math.max(1, sb.received),
    receiverChunksPerDrain: sb.delivered / Math.max(1, sb.drains),
  };
  await beforeClose(a, b);  // the renderers exit with their contexts: sample their CPU first
  // The renderers exit with their contexts; a persistent context outlives the round, its pages do not.
  if (isPersistent(ba)) await a.page.close(); else await ctxA.close();
  if (isPersistent(bb)) await b.page.close(); else await ctxB.close();
  return { mbps: bytes / 1e6 / (ms / 1000), peakRssMB: peak, heapMB, crossings };
}

// Run as a program (not when another bench imports the functions above).
if (process.argv[1] === fileURLToPath(import.meta.url)) await runScenario('bench_throughput', async (env) => {
  const file = env.file('bench.bin', randomBytes(kBytes));
  const { ba, bb, close } = await benchBrowsers(env);
  const pa = await pageOn(ba);
  const pb = await pageOn(bb);
  await pa.goto(env.origin + '/healthz');
  await pb.goto(env.origin + '/healthz');
  const raw = [];
  const ferry = [];
  const idleRss = chromiumRssMB(env.lan.ns.b).renderer;
  for (let r = 0; r < kRounds; ++r) {
    let ca = cpuByType(env.lan.ns.a);
    let cb = cpuByType(env.lan.ns.b);
    raw.push(await rawRound(pa, pb, kBytes));
    log(`  raw CPU s/100MB sender ${JSON.stringify(cpuDelta(ca, cpuByType(env.lan.ns.a), kMB))} receiver ${JSON.stringify(cpuDelta(cb, cpuByType(env.lan.ns.b), kMB))}`);
    ca = cpuByType(env.lan.ns.a);
    cb = cpuByType(env.lan.ns.b);
    log(`round ${r + 1}: raw DataChannel ${raw.at(-1).toFixed(1)} MB/s`);
    ferry.push(await ferryRound(env, ba, bb, file, kBytes, () => {
      log(`  Ferry CPU s/100MB sender ${JSON.stringify(cpuDelta(ca, cpuByType(env.lan.ns.a), kMB))} receiver ${JSON.stringify(cpuDelta(cb, cpuByType(env.lan.ns.b), kMB))}`);
    }));
    log(`round ${r + 1}: Ferry ${ferry.at(-1).mbps.toFixed(1)} MB/s, receiver renderer peak RSS ${ferry.at(-1).peakRssMB.toFixed(0)} MB, wasm heap ${ferry.at(-1).heapMB.toFixed(0)} MB`);
    const x = ferry.at(-1).crossings;
    log(`  crossings per chunk: sender ${x.sender.toFixed(2)}, receiver ${x.receiver.toFixed(2)}; receiver: ${x.receiverSinkPostsPerChunk.toFixed(3)} storage posts and ${x.receiverChunksPerDrain.toFixed(1)} messages per drain`);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const rawM = median(raw);
  const ferryM = median(ferry.map((f) => f.mbps));
  console.log(JSON.stringify({
    file_mb: kMB, rounds: kRounds, profile: wordArg('profile', 'disk'), raw_mbps: rawM, ferry_mbps: ferryM, ratio: ferryM / rawM,
    receiver_peak_rss_mb: Math.max(...ferry.map((f) => f.peakRssMB)), receiver_idle_rss_mb: idleRss,
    wasm_heap_mb: Math.max(...ferry.map((f) => f.heapMB)),
  }, null, 1));
  await close();
});
