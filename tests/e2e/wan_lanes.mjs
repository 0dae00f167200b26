// e2e.wan_lanes: striping over several RTCPeerConnections (app/lanes.h). Host b is 150 ms of
// round trip away with 0.5 % loss each way and a 100 Mbit/s cap (ferry-wanem), where one SCTP
// association is loss-bound. A sees the long round trip on its direct path and opens more
// connections; the file arrives whole (SHA-256), the path indicator names the lanes, and more
// than one connection carried CHUNK frames (the glue counts them per DataChannel label).
//
// e2e.wan_lanes.lane_lost: the same, but A's second connection (lane 1) is closed part-way,
// with chunks on their way on it. The side that sees it close reconnects (B by closing its
// primary connection, which A sees), each side resumes from the other's HAVE map, and the file
// still arrives whole.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, offer, openLink, until, waitPercent } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kLaneLost = process.argv[2] === 'lane_lost';
// One association moves about 0.12 MB/s here (bench/wan), four several times that: 8 MB takes
// a minute or more on one, well under that on four.
const kBytes = Number(process.env.FERRY_E2E_WAN_BYTES || 8 * 1000 * 1000);
const kWan = { rttMs: 150, loss: 0.005, rateMbit: 100, jitterMs: 2, seed: 5 };
const kLostLine = 'Reconnecting, so that what was on its way on that connection is sent again';

await runScenario(kLaneLost ? 'wan_lanes_lane_lost' : 'wan_lanes', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('striped.bin', content);
  const { a, link } = await offer(env, [file], { track: kLaneLost });
  const t0 = Date.now();
  const { b } = await openLink(env, link);
  await b.waitStatus(/Connection: direct/, 2 * kStepTimeoutMs);
  // Lanes open a few round trips after the primary; both sides show them.
  await a.waitStatus(/Connection: direct, [234] lanes/, 2 * kStepTimeoutMs);
  await b.waitStatus(/Connection: direct, [234] lanes/, 2 * kStepTimeoutMs);
  log(`striping after ${Date.now() - t0} ms: ${(await a.status()).match(/Connection: ([^.]*)/)[1]}`);
  if (kLaneLost) {
    await waitPercent(b, 20);
    // ferryTestPcs: A's connections in the order made: the primary, then lanes 1, 2, 3.
    const closed = await a.page.evaluate(() => {
      const pc = window.ferryTestPcs[1];
      const was = pc.connectionState;
      pc.close();
      return was;
    });
    log(`closed A's lane 1 (it was ${closed}) at ${(await b.status()).match(/Receiving (\d+)%/)?.[1]}%`);
    // Whichever side sees the lane close first reconnects (A at once; B by closing its primary).
    await until('a reconnect after the lane closed', async () =>
      (await activity(a)).some((l) => l.includes(kLostLine)) || (await activity(b)).some((l) => l.includes(kLostLine)),
    { timeout: 2 * kStepTimeoutMs, detail: async () => `A ${JSON.stringify(await activity(a))}, B ${JSON.stringify(await activity(b))}` });
  }
  const got = await b.save('save-1-0', 10 * kStepTimeoutMs);
  const secs = (Date.now() - t0) / 1000;
  if (got.bytes.length !== content.length || sha256(got.bytes) !== sha256(content)) {
    throw new Error(`SHA-256 mismatch over striped lanes (${got.bytes.length} of ${content.length} bytes)`);
  }
  const perChannel = await a.page.evaluate(() => Module.ferryStats.chunksByChannel);
  const carriers = Object.entries(perChannel).filter(([, n]) => n > 0);
  log(`${kBytes / 1e6} MB in ${secs.toFixed(1)} s from opening the link (${(kBytes / 1e6 / secs).toFixed(2)} MB/s); ` +
      `chunk frames per channel: ${JSON.stringify(perChannel)}`);
  if (carriers.length < 2) throw new Error('only one connection carried chunks: ' + JSON.stringify(perChannel));
  if (kLaneLost) log(`activity logs: A ${JSON.stringify(await activity(a))}, B ${JSON.stringify(await activity(b))}`);
  await b.screenshot(kLaneLost ? 'wan-lanes-lane-lost-received' : 'wan-lanes-received');
  const counters = await env.lan.stopWan();
  log(`emulator: ${JSON.stringify(counters)}`);
}, { wan: kWan });
