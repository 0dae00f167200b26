// e2e.wan_transfer: the receiver is far away: every packet of host b (to the server and to the
// sender) crosses ferry-wanem with 150 ms of round trip and 1 % loss each way. A file goes from
// A to B directly (WebRTC over the lossy link) and arrives whole: SHA-256 matches. Logs the
// rate it reached and what the emulator dropped.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { offer, openLink } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// At 150 ms and 2 % loss per round trip one SCTP association moves about 0.1 MB/s (16 MB took
// 175 s: bench/wan), so the file is small enough for CI.
const kBytes = Number(process.env.FERRY_E2E_WAN_BYTES || 3 * 1000 * 1000);
const kWan = { rttMs: 150, loss: 0.01, jitterMs: 2, seed: 3 };

await runScenario('wan_transfer', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('far-away.bin', content);
  const { a, link } = await offer(env, [file]);
  const t0 = Date.now();
  const { b } = await openLink(env, link);
  await b.waitStatus(/Connection: direct/, 2 * kStepTimeoutMs);
  log(`direct after ${Date.now() - t0} ms at ${kWan.rttMs} ms RTT`);
  const got = await b.save('save-1-0', 10 * kStepTimeoutMs);
  const secs = (Date.now() - t0) / 1000;
  if (got.bytes.length !== content.length || sha256(got.bytes) !== sha256(content)) {
    throw new Error(`SHA-256 mismatch over the WAN (${got.bytes.length} of ${content.length} bytes)`);
  }
  await a.waitStatus(/Connected/);
  await b.screenshot('wan-transfer-received');
  const counters = await env.lan.stopWan();
  log(`${kBytes / 1e6} MB in ${secs.toFixed(1)} s from opening the link (${(kBytes / 1e6 / secs).toFixed(2)} MB/s); ` +
      `emulator: ${JSON.stringify(counters)}`);
  if (!counters || counters.a_to_b.lost + counters.b_to_a.lost === 0) throw new Error('the emulator dropped nothing: no loss was applied');
}, { wan: kWan });
