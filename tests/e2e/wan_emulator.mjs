// e2e.wan_emulator: ferry-wanem (tests/tools/wanem.cpp) between two test hosts applies the
// round-trip time, loss and rate cap it is asked for, measured from the hosts with UDP probes
// and a TCP stream (lib/netprobe.mjs). No browser.
//
// Also: new settings on a running emulator (stdin) take effect.
//
// The bounds are the emulator's promises, not performance targets: no probe returns sooner
// than the RTT it adds; the loss is within five standard deviations of the rate asked for; a
// capped link carries no more than its cap (and not absurdly less).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { log } from './lib/ferry.mjs';
import { Lan } from './lib/net.mjs';

const kProbe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib/netprobe.mjs');
const kPort = 9777;

// Runs netprobe in a namespace: { proc, lines (its JSON lines so far), ready (resolves when a
// line matches `readyWhen`), exited (resolves with all lines when it exits) }.
function probe(ns, args, readyWhen = () => false) {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, kProbe, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  let onReady;
  const ready = new Promise((resolve) => { onReady = resolve; });
  proc.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0;) {
      const l = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      lines.push(l);
      if (readyWhen(l)) onReady(l);
    }
  });
  const exited = new Promise((resolve, reject) => proc.on('exit', (code, signal) =>
    (code === 0 || signal === 'SIGTERM' ? resolve(lines) : reject(new Error(`netprobe ${args[0]} exited ${code}`)))));
  return { proc, lines, ready, exited };
}

async function withLan(wan, body) {
  const lan = new Lan(undefined, undefined, { wan }).up();
  try {
    return await body(lan);
  } finally {
    lan.down();
  }
}

function check(ok, what) {
  if (!ok) throw new Error(what);
  log(`ok: ${what}`);
}

try {
  // 1. RTT and loss: 150 ms, 1 % each way.
  const rttMs = 150;
  const loss = 0.01;
  const count = 1000;
  await withLan({ rttMs, loss, seed: 11 }, async (lan) => {
    const echo = probe(lan.ns.b, ['echo', String(kPort)], (l) => l.listening);
    await echo.ready;
    const ping = probe(lan.ns.a, ['ping', lan.addr.b, String(kPort), String(count), '10']);
    const [r] = await ping.exited;
    // New settings on the running emulator (what the WAN bench does between its cells).
    await lan.setWan({ rttMs: 40, loss: 0 });
    const [r2] = await probe(lan.ns.a, ['ping', lan.addr.b, String(kPort), '100', '10']).exited;
    echo.proc.kill('SIGTERM');
    const counters = await lan.stopWan();
    log(`after setWan: ${r2.received}/${r2.sent} back, RTT min ${r2.rttsMs[0].toFixed(1)} ms`);
    check(r2.received === r2.sent && r2.rttsMs[0] >= 40 && r2.rttsMs[0] < 150,
      'new settings apply to a running emulator (40 ms, no loss)');
    const lost = r.sent - r.received;
    const median = r.rttsMs[Math.floor(r.rttsMs.length / 2)];
    log(`${r.received}/${r.sent} probes back; RTT min ${r.rttsMs[0].toFixed(1)} ms, median ${median.toFixed(1)} ms, max ${r.rttsMs.at(-1).toFixed(1)} ms`);
    log(`emulator counters: ${JSON.stringify(counters)}`);
    // A round trip crosses twice: lost with p = 1 - (1 - loss)^2 (about 2 %).
    const p = 1 - (1 - loss) ** 2;
    const sd = Math.sqrt(count * p * (1 - p));
    check(r.rttsMs[0] >= rttMs, `no probe came back sooner than ${rttMs} ms (min ${r.rttsMs[0].toFixed(1)})`);
    check(median < rttMs + 50, `the median RTT is ${rttMs} ms plus little (${median.toFixed(1)})`);
    check(Math.abs(lost - count * p) <= 5 * sd, `${lost} of ${count} probes lost, expected ${(count * p).toFixed(0)} ± ${(5 * sd).toFixed(0)}`);
    check(counters && counters.a_to_b.lost + counters.b_to_a.lost >= lost, 'the emulator counted at least the probes that were lost');
  });

  // 2. Rate cap: 20 Mbit/s each way, a short RTT so TCP fills it.
  const rateMbit = 20;
  await withLan({ rttMs: 10, rateMbit, queueMs: 50 }, async (lan) => {
    const sink = probe(lan.ns.b, ['sink', String(kPort)], (l) => l.listening);
    await sink.ready;
    const blast = probe(lan.ns.a, ['blast', lan.addr.b, String(kPort), '5']);
    await blast.exited;
    const lines = await sink.exited;
    const r = lines.find((l) => l.bytes !== undefined);
    const counters = await lan.stopWan();
    const mbit = (r.bytes * 8) / (r.ms / 1000) / 1e6;
    log(`TCP through a ${rateMbit} Mbit/s cap: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms = ${mbit.toFixed(1)} Mbit/s of payload`);
    log(`emulator counters: ${JSON.stringify(counters)}`);
    check(mbit <= rateMbit, `the payload rate stays under the cap (${mbit.toFixed(1)} <= ${rateMbit} Mbit/s)`);
    check(mbit >= rateMbit / 2, `the cap is not far below what was asked (${mbit.toFixed(1)} >= ${rateMbit / 2} Mbit/s)`);
  });
  console.log('e2e.wan_emulator: 1 passed, 0 failed');
} catch (e) {
  console.error(`e2e.wan_emulator FAILED: ${e.stack || e.message}`);
  process.exit(1);
}
