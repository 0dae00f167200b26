// e2e.resume_cut: the receiver's host loses the network twice in the middle of a transfer (every
// packet dropped by iptables, then let through again): once for a few seconds (ICE recovers the
// same connection) and once for longer than the sender waits before building a new connection
// (the transfer resumes from the receiver's have-map). The file arrives whole: SHA-256 matches.
// Reports the bytes the sender put on the wire beyond the file itself (what was sent again).
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { cut, limitRate, offer, openLink, sentBytes, sleep, waitPercent } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = Number(process.env.FERRY_E2E_CUT_BYTES || 80 * 1000 * 1000);
// Longer than the sender's patience with a dead connection (app::kFreshPeerAfterMs, 20 s, plus
// ICE's own few seconds to call it disconnected).
const kLongCutMs = 30_000;
const kShortCutMs = 4_000;

await runScenario('resume_cut', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('cut.bin', content);
  limitRate(env.lan.ns.a, '48mbit');  // about 6 MB/s: the transfer lasts long enough to cut twice
  const { a, link } = await offer(env, [file]);
  const t0 = Date.now();
  const { b } = await openLink(env, link);
  await waitPercent(b, 10);
  log(`connected and moving after ${Date.now() - t0} ms`);

  // Cut points are random, as a real network's would be.
  const first = 10 + 10 * Math.floor(Math.random() * 2);   // 10 or 20 %
  const second = first + 20 + 10 * Math.floor(Math.random() * 2);
  await waitPercent(b, first);
  cut(env.lan.ns.b, true);
  await sleep(kShortCutMs);
  cut(env.lan.ns.b, false);
  await waitPercent(b, first + 10, 'Receiving', 4 * kStepTimeoutMs);
  log('moving again after the short cut:', await b.status());

  await waitPercent(b, second);
  cut(env.lan.ns.b, true);
  await sleep(kLongCutMs);
  cut(env.lan.ns.b, false);
  const got = await b.save('save-1-0', 8 * kStepTimeoutMs);
  if (got.bytes.length !== content.length || sha256(got.bytes) !== sha256(content)) {
    throw new Error(`SHA-256 mismatch after the cuts (${got.bytes.length} of ${content.length} bytes)`);
  }
  await a.waitStatus(/Connected/);
  const sent = await sentBytes(a);
  const overhead = Math.ceil(kBytes / 65536) * 63;  // frame header, nonce and tag per chunk
  const resent = Math.max(0, sent - kBytes - overhead);
  log(`file intact after cuts at ${first}% and ${second}%; A sent ${sent} bytes for ${kBytes}: ` +
      `${resent} resent (${(100 * resent / kBytes).toFixed(2)}% of the file)`);
  await b.screenshot('resume-cut-received');
});
