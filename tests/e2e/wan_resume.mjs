// e2e.wan_resume: the far receiver (150 ms round trip, 1 % loss each way, through ferry-wanem)
// loses the network in the middle of a transfer for longer than the sender waits before it
// builds a new connection. The transfer resumes from the receiver's have-map over the same
// lossy link and the file arrives whole: SHA-256 matches. Reports what was sent again.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { cut, offer, openLink, sentBytes, sleep, waitPercent } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// About 30 s at the 0.1 MB/s one association reaches here (bench/wan).
const kBytes = Number(process.env.FERRY_E2E_WAN_BYTES || 3 * 1000 * 1000);
// Longer than the sender's patience with a dead connection (app::kFreshPeerAfterMs, 20 s, plus
// ICE's own few seconds to call it disconnected).
const kCutMs = 30_000;

await runScenario('wan_resume', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('far-and-cut.bin', content);
  const { a, link } = await offer(env, [file]);
  const { b } = await openLink(env, link);
  const at = 20 + 10 * Math.floor(Math.random() * 3);  // 20, 30 or 40 %: a real cut comes any time
  await waitPercent(b, at, 'Receiving', 6 * kStepTimeoutMs);
  cut(env.lan.ns.b, true);
  log(`cut at ${at}% for ${kCutMs / 1000} s`);
  await sleep(kCutMs);
  cut(env.lan.ns.b, false);
  const got = await b.save('save-1-0', 10 * kStepTimeoutMs);
  if (got.bytes.length !== content.length || sha256(got.bytes) !== sha256(content)) {
    throw new Error(`SHA-256 mismatch after the cut (${got.bytes.length} of ${content.length} bytes)`);
  }
  await a.waitStatus(/Connected/);
  const sent = await sentBytes(a);
  const overhead = Math.ceil(kBytes / 65536) * 63;  // frame header, nonce and tag per chunk
  const resent = Math.max(0, sent - kBytes - overhead);
  // "Sent" is the CHUNK bytes A handed to its channels or the relay: what sat in the dead
  // channel's send buffer
  // (up to the 8 MiB high-water mark, many seconds at this rate) is handed over again. The
  // emulator's a_to_b bytes are what reached B's link.
  log(`file intact after the cut; A handed ${sent} bytes to its channels for ${kBytes}: ${resent} again ` +
      `(${(100 * resent / kBytes).toFixed(1)}% of the file)`);
  await b.screenshot('wan-resume-received');
  const counters = await env.lan.stopWan();
  log(`emulator: ${JSON.stringify(counters)}`);
}, { wan: { rttMs: 150, loss: 0.01, jitterMs: 2, seed: 5 } });
