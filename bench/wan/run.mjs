// bench/wan: throughput over an emulated WAN (ferry-wanem, tests/tools/wanem.cpp, on host b's
// link): raw DataChannels (one channel; N channels on one RTCPeerConnection; N
// RTCPeerConnections of one channel each) against Ferry on one connection (?lanes=1), Ferry
// striped over --n connections (?lanes=N, app/lanes.h) and Ferry through the server's relay,
// cell by cell, in one run.
//
//   node bench/wan/run.mjs [--cells 50:0.005,150:0.005] [--rate 100] [--seconds 20] [--n 4] [--rounds 1]
//                          [--server-cc reno]
//
// --server-cc sets the TCP congestion control of the server's namespace (the relay's TCP toward
// the far host); otherwise it is the machine's default (net.ipv4.tcp_congestion_control). A
// test namespace may take only what net.ipv4.tcp_allowed_congestion_control lists (here: reno bbr).
//
// A cell is RTT ms : loss per crossing (a round trip is lost with 1 - (1 - loss)^2). Each
// variant sends as fast as it can for --seconds, timed from the first byte that reaches B: raw
// sends 64 KiB + 63 byte messages (Ferry's chunk frame) with an 8 MiB high-water mark per
// channel; Ferry sends a file too large to finish, once directly and once with no UDP at all
// (iptables on both hosts: the server's relay over its WebSocket, TCP). The number is MB/s that
// reached B's page.
// Only the ratios within one cell mean something.
import { ClientPage, kStepTimeoutMs, log, randomBytes } from '../../tests/e2e/lib/ferry.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { execFileSync } from 'node:child_process';

import { onlyTcpToServer } from '../../tests/e2e/lib/flows.mjs';
import { rawRound } from '../lib/raw.mjs';
import { arg, benchBrowsers, pageOn, wordArg } from '../throughput/run.mjs';

const kSeconds = arg('seconds', 20);
const kN = arg('n', 4);
const kRounds = arg('rounds', 1);
const kRateMbit = arg('rate', 100);
const kCells = wordArg('cells', '50:0.005,150:0.005').split(',').map((c) => {
  const [rtt, loss] = c.split(':').map(Number);
  return { rttMs: rtt, loss };
});
// Ferry's file: larger than any cell can move in kSeconds at the cap (100 Mbit/s for 20 s is
// 250 MB would be too much memory for the test file; the window ends the transfer).
const kFerryBytes = 300 * 1000 * 1000;

// lanes: A's page's ?lanes= (the connections it may stripe over; B follows).
async function ferryRound(env, ba, bb, file, lanes) {
  const ctxA = await (ba.newContext ? ba.newContext() : ba);
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const a = await ClientPage.open(ctxA, env.origin + '/' + (lanes ? `?lanes=${lanes}` : ''), 'A');
  await a.chooseFiles([file]);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  const ctxB = await (bb.newContext ? bb.newContext() : bb);
  const b = await ClientPage.open(ctxB, link, 'B');
  // Frames from either path: the DataChannel's and the server relay's.
  // (Functions, not strings: the page's CSP forbids eval.)
  await b.page.waitForFunction(() => Module.ferryStats.receivedBytes + Module.ferryStats.relayReceivedBytes > 64 * 1024, null,
    { timeout: 4 * kStepTimeoutMs, polling: 50 });
  const sample = () => [Module.ferryStats.receivedBytes + Module.ferryStats.relayReceivedBytes, performance.now()];
  const [bytes0, t0] = await b.page.evaluate(sample);
  await b.page.waitForTimeout(kSeconds * 1000);
  const [bytes1, t1] = await b.page.evaluate(sample);
  const path = (await b.status()).match(/Connection: ([^.\n]*)/);
  await a.page.close();
  await b.page.close();
  return { mbps: (bytes1 - bytes0) / 1e6 / ((t1 - t0) / 1000), path: path ? path[1] : '?' };
}

await runScenario('bench_wan', async (env) => {
  const file = env.file('wan.bin', randomBytes(kFerryBytes));
  const { ba, bb, close } = await benchBrowsers(env);
  const pa = await pageOn(ba);
  const pb = await pageOn(bb);
  await pa.goto(env.origin + '/healthz');
  await pb.goto(env.origin + '/healthz');
  const serverCc = wordArg('server-cc', '');
  if (serverCc) execFileSync('ip', ['netns', 'exec', env.lan.ns.server, 'sysctl', '-q', '-w', `net.ipv4.tcp_congestion_control=${serverCc}`]);
  const cc = execFileSync('ip', ['netns', 'exec', env.lan.ns.server, 'sysctl', '-n', 'net.ipv4.tcp_congestion_control']).toString().trim();
  log(`the server's TCP congestion control: ${cc}`);
  const rows = [];
  for (const cell of kCells) {
    await env.lan.setWan({ rttMs: cell.rttMs, loss: cell.loss, rateMbit: kRateMbit });
    for (let r = 0; r < kRounds; ++r) {
      const row = { rttMs: cell.rttMs, loss: cell.loss, rateMbit: kRateMbit, round: r + 1 };
      row.raw1 = await rawRound(pa, pb, 1, 1, kSeconds);
      row.rawChannels = await rawRound(pa, pb, 1, kN, kSeconds);
      row.rawPcs = await rawRound(pa, pb, kN, 1, kSeconds);
      const f = await ferryRound(env, ba, bb, file, 1);
      row.ferry = f.mbps;
      row.ferryPath = f.path;
      row.ferryOverRaw1 = f.mbps / row.raw1;
      const fs = await ferryRound(env, ba, bb, file, kN);
      row.ferryStriped = fs.mbps;
      row.ferryStripedPath = fs.path;
      row.ferryStripedOverRaw1 = fs.mbps / row.raw1;
      // The same with no UDP at all: the frames go through the server's WebSocket relay (TCP).
      onlyTcpToServer(env, 'a');
      onlyTcpToServer(env, 'b');
      try {
        const fr = await ferryRound(env, ba, bb, file);
        row.ferryRelay = fr.mbps;
        row.ferryRelayPath = fr.path;
      } finally {
        for (const h of ['a', 'b']) execFileSync('ip', ['netns', 'exec', env.lan.ns[h], 'iptables', '-F']);
      }
      log(`${cell.rttMs} ms, loss ${cell.loss}, ${kRateMbit} Mbit/s, round ${r + 1}: raw 1 channel ${row.raw1.toFixed(2)} MB/s, ` +
          `${kN} channels ${row.rawChannels.toFixed(2)}, ${kN} connections ${row.rawPcs.toFixed(2)}, ` +
          `Ferry ${row.ferry.toFixed(2)} (${f.path}) = ${row.ferryOverRaw1.toFixed(2)}x raw 1 channel, ` +
          `Ferry striped ${row.ferryStriped.toFixed(2)} (${fs.path}) = ${row.ferryStripedOverRaw1.toFixed(2)}x; ` +
          `Ferry with no UDP ${row.ferryRelay.toFixed(2)} (${row.ferryRelayPath})`);
      rows.push(row);
    }
  }
  console.log(JSON.stringify({ seconds: kSeconds, n: kN, serverTcpCongestionControl: cc, rows }, null, 1));
  await close();
}, { wan: { rttMs: 0, loss: 0, rateMbit: kRateMbit } });
