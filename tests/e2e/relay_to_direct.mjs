// e2e.relay_to_direct: UDP is blocked on both hosts at first (only TCP to the server gets
// through, as in e2e.server_relay), so the transfer starts on the server's relay while the
// direct attempt goes on (app::kRacing). As soon as data moves, the block is lifted: the
// attempt's ICE checks, still running (the creator gives the attempt app::kDirectTimeoutMs,
// 15 s, and the race starts after app::kRaceRelayAfterMs, 2.5 s, so about 12 s are left, and
// Chromium keeps retrying its candidate pairs meanwhile), get answers, the DataChannel opens in
// the middle of the transfer, and both sides move their frames to it. Checks: both pages show
// "direct" afterwards, both activity logs show the switch, the SHA-256 matches, and the CHUNK
// bytes the sender put on either path exceed the file by no more than what can be in flight
// (the receive window, 8 MiB, plus slack): the receiver's HAVE map kept the switch from sending
// again what had arrived.
import { execFileSync } from 'node:child_process';

import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, offer, onlyTcpToServer, openLink, percent, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// Through the relay (4 MiB/s) the whole file would take about 19 s: the switch comes mid-way.
const kBytes = 80 * 1000 * 1000;
// What may be sent twice: the receive window (transfer::kReceiveWindowBytes, 8 MiB) can be in
// flight on the relay when the path moves, plus a few chunks read or queued meanwhile.
const kInFlightBytes = 8 * 1024 * 1024 + 16 * (64 * 1024 + 63);
const kRaceLine = 'Sending through the server while a direct connection is tried';
const kSwitchLine = 'Switched to a direct connection';

function unblock(env, host) {
  execFileSync('ip', ['netns', 'exec', env.lan.ns[host], 'iptables', '-F']);
}

async function chunkBytesSent(page) {
  return page.page.evaluate(() => Module.ferryStats.chunkBytesSent);
}

await runScenario('relay_to_direct', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('switching.bin', content);
  onlyTcpToServer(env, 'a');
  onlyTcpToServer(env, 'b');
  const { a, link } = await offer(env, [file]);
  const t0 = Date.now();
  const { b } = await openLink(env, link);
  await until('B to receive data through the relay', async () => (await percent(b)) >= 1,
    { timeout: 3 * kStepTimeoutMs, detail: async () => `live region: "${await b.status()}"` });
  log(`data moving through the relay ${Date.now() - t0} ms after B opened the link`);
  await b.waitStatus(/Connection: relayed by server/);
  await b.screenshot('relay-to-direct-relayed');
  const atUnblock = await percent(b);
  unblock(env, 'a');
  unblock(env, 'b');
  log(`UDP let through at ${Date.now() - t0} ms, B at ${atUnblock}%`);
  await b.waitStatus(/Connection: direct/, kStepTimeoutMs);
  await a.waitStatus(/Connection: direct/, kStepTimeoutMs);
  const switchedAt = await percent(b);
  log(`both pages direct at ${Date.now() - t0} ms, B at ${switchedAt}%`);
  if (switchedAt >= 100) throw new Error('the path moved only after the transfer ended');
  await b.screenshot('relay-to-direct-direct');
  await a.screenshot('relay-to-direct-sender');
  for (const [name, page] of [['A', a], ['B', b]]) {
    const lines = await activity(page);
    if (!lines.some((l) => l.includes(kRaceLine)) || !lines.some((l) => l.includes(kSwitchLine))) {
      throw new Error(`${name}'s activity log does not show the race and the switch: ${JSON.stringify(lines)}`);
    }
  }
  const got = await b.save('save-1-0', 5 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the switch');
  const chunkBytes = await chunkBytesSent(a);
  const frames = Math.ceil(kBytes / (64 * 1024));
  const twice = chunkBytes - kBytes - frames * 63;
  log(`file intact in ${Date.now() - t0} ms; CHUNK bytes sent: ${chunkBytes} for ${kBytes} (sent twice: ${twice} bytes, ` +
      `${(twice / (1024 * 1024)).toFixed(2)} MiB; the bound is ${kInFlightBytes})`);
  log(`A's log: ${JSON.stringify(await activity(a))}`);
  if (twice > kInFlightBytes) throw new Error(`the switch sent ${twice} bytes twice, more than can be in flight`);
});
