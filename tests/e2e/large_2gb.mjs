// e2e.large_2gb (slow: not in the default test command; run it with
// `ctest --test-dir build/native -R e2e.large_2gb --output-on-failure`): a 2 GiB file goes
// Chromium to Chromium. The receiver writes to OPFS on disk (a browser profile on disk, as a real
// browser has) and its renderer's memory must not grow with the file: the peak RSS of its
// renderer may exceed the RSS it had once connected by less than 300 MB, and its wasm heap
// (sampled too) must stay within 64 MB. The saved file's SHA-256 must match.
// FERRY_E2E_LARGE_BYTES changes the size.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { launchChromiumWithProfile } from './lib/browser.mjs';
import { ClientPage, kStepTimeoutMs, log } from './lib/ferry.mjs';
import { kViewport, offer, waitPercent } from './lib/flows.mjs';
import { chromiumRssMB } from './lib/procs.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = Number(process.env.FERRY_E2E_LARGE_BYTES || 2 * 1024 ** 3);
const kMaxGrowthMB = 300;
const kMaxHeapMB = 64;

// Writes kBytes of random data in 16 MiB blocks and returns its SHA-256 (never all in memory).
function makeFile(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  for (let left = kBytes; left > 0;) {
    const block = crypto.randomBytes(Math.min(left, 16 * 1024 * 1024));
    hash.update(block);
    fs.writeSync(fd, block);
    left -= block.length;
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

async function sha256File(file) {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 8 * 1024 * 1024 })) hash.update(chunk);
  return hash.digest('hex');
}

await runScenario('large_2gb', async (env) => {
  const file = path.join(env.dir, 'large.bin');
  const expected = makeFile(file);
  log(`made a ${kBytes}-byte file`);
  const { a, link } = await offer(env, [file]);
  const profile = fs.mkdtempSync(path.join(env.dir, 'profile-b-'));
  const ctxB = await launchChromiumWithProfile(env.lan, 'b', env.origin, profile, { acceptDownloads: true, viewport: kViewport });
  try {
    const b = await ClientPage.open(ctxB, link, 'B');
    env.pages.push(b);
    await b.waitStatus(/Connected/);
    const idle = chromiumRssMB(env.lan.ns.b);
    let peak = idle.renderer;
    let peakTotal = idle.total;
    let heapMB = 0;
    const sampler = setInterval(() => {
      const now = chromiumRssMB(env.lan.ns.b);
      peak = Math.max(peak, now.renderer);
      peakTotal = Math.max(peakTotal, now.total);
      b.page.evaluate(() => Module.HEAPU8.length / 1048576).then((mb) => { heapMB = Math.max(heapMB, mb); }, () => {});
    }, 500);
    const t0 = Date.now();
    try {
      await waitPercent(b, 50, 'Receiving', 60 * kStepTimeoutMs);
      log(`half way after ${((Date.now() - t0) / 1000).toFixed(0)} s; receiver renderer peak so far ${peak.toFixed(0)} MB`);
      await b.widget('save-1-0', 60 * kStepTimeoutMs);
    } finally {
      clearInterval(sampler);
    }
    const secs = (Date.now() - t0) / 1000;
    log(`received ${kBytes} bytes in ${secs.toFixed(0)} s (${(kBytes / 1e6 / secs).toFixed(1)} MB/s); receiver renderer RSS ` +
        `${idle.renderer.toFixed(0)} MB connected, ${peak.toFixed(0)} MB peak (+${(peak - idle.renderer).toFixed(0)} MB); ` +
        `all its Chromium processes ${idle.total.toFixed(0)} -> ${peakTotal.toFixed(0)} MB; wasm heap peak ${heapMB.toFixed(0)} MB`);
    const [download] = await Promise.all([b.page.waitForEvent('download', { timeout: 10 * kStepTimeoutMs }), b.click('save-1-0')]);
    const saved = await download.path();
    if (fs.statSync(saved).size !== kBytes) throw new Error(`saved ${fs.statSync(saved).size} bytes, not ${kBytes}`);
    if (await sha256File(saved) !== expected) throw new Error('SHA-256 mismatch');
    log('SHA-256 matches');
    if (heapMB > kMaxHeapMB) throw new Error(`the receiver's wasm heap grew to ${heapMB.toFixed(0)} MB (limit ${kMaxHeapMB})`);
    if (peak - idle.renderer >= kMaxGrowthMB) {
      throw new Error(`the receiver's renderer grew by ${(peak - idle.renderer).toFixed(0)} MB (limit ${kMaxGrowthMB})`);
    }
    await a.waitStatus(/Connected/);
  } finally {
    await ctxB.close().catch(() => {});
  }
});
