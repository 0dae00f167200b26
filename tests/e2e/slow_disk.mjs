// e2e.slow_disk: the receiver's disk is slower than the network. B's storage worker writes at
// kDiskBytesPerSec (a test-only throttle, shell/storage-worker.js), far below what the LAN
// carries, so without flow control the bytes waiting for the disk would pile up in memory.
// Receiver-driven flow control (WINDOW, docs/protocol.md) slows A down instead: what waits for
// B's disk stays within the receive window (sampled all along), and the file arrives whole.
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { offer } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 40 * 1000 * 1000;
const kDiskBytesPerSec = 4 * 1024 * 1024;
const kMiB = 1024 * 1024;
// transfer::kReceiveWindowBytes, plus one storage write batch (platform/js/storage.js) and one
// chunk of slack (transfer::kFlowSlackBytes): the most an honest sender can have waiting.
const kWindow = 8 * kMiB;
const kBound = kWindow + 2 * kMiB;

await runScenario('slow_disk', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('slow-disk.bin', content);
  const { link } = await offer(env, [file]);
  const browser = await env.browser('b');
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
  await ctx.addInitScript((rate) => { window.ferryTestSlowDiskBytesPerSec = rate; }, kDiskBytesPerSec);
  const b = await ClientPage.open(ctx, link, 'B');
  env.pages.push(b);

  // What waits for B's disk (posted to the storage worker, not yet written), all along.
  let peak = 0;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const pending = await b.page.evaluate(() => Module.ferryGlue.storagePending());
        peak = Math.max(peak, pending);
        samples++;
      } catch { /* the page is navigating to a download */ }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t0 = Date.now();
  const got = await b.save('save-1-0', 10 * kStepTimeoutMs);
  sampling = false;
  await sampler;
  const secs = (Date.now() - t0) / 1000;
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the slow disk');
  log(`file intact in ${secs.toFixed(1)} s (${(kBytes / 1e6 / secs).toFixed(1)} MB/s, disk ${kDiskBytesPerSec / 1e6} MB/s); ` +
      `peak waiting for the disk ${(peak / kMiB).toFixed(2)} MiB over ${samples} samples`);
  // The throttle did bite (otherwise this test proves nothing), and memory stayed bounded.
  if (peak < kMiB) throw new Error(`the disk never lagged (peak ${peak} bytes): the throttle did not work`);
  if (peak > kBound) throw new Error(`${(peak / kMiB).toFixed(2)} MiB waited for the disk, more than the window allows`);
});
