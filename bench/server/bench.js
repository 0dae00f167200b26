// Server benchmark (not a test): opens N WebSocket connections in N/2 rooms on ferry-server and on
// a minimal Node `ws` relay (relay_baseline.js), relays messages in every room at once, and
// reports messages/s, p50/p99 one-way relay latency and server RSS, with the ratios.
//
//   node bench/server/bench.js [--conns 10000] [--rounds 20] [--server build/h-server/server/ferry-server]
//
// Each room runs ping-pong: the creator sends, the joiner answers on receipt, `rounds` times, so
// every room always has one message in flight and all rooms run concurrently. The load generator
// is one Node process for both servers, so it limits both alike; the ratios are the result.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const conns = Number(args.conns || 10000);
const rounds = Number(args.rounds || 20);
const root = path.resolve(__dirname, '../..');
const serverBin = args.server || path.join(root, 'build/h-server/server/ferry-server');
// Opening thousands of sockets at once overflows the accept backlog; this many handshakes at a time.
const kConnectBatch = 500;

function start(cmd, argv) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      const m = /event=listening address=\S+ port=(\d+)/.exec(buf);
      if (m && !p.port) { p.port = Number(m[1]); resolve(p); }
      if (buf.length > 1e6) buf = buf.slice(-1000);
    });
    p.on('exit', (code) => { if (!p.port) reject(new Error(`${cmd} exited with ${code}`)); });
  });
}

function rssKiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number((new RegExp(`${k}:\\s+(\\d+)`).exec(s) || [0, 0])[1]);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

// CPU seconds (user + system) the process has used so far.
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
}

function open(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'ferry.v1', { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws, type) {
  return new Promise((resolve) => {
    const on = (data) => {
      const m = JSON.parse(data);
      if (m.type === type) { ws.off('message', on); resolve(m); }
    };
    ws.on('message', on);
  });
}

async function openAll(port, n) {
  const out = [];
  for (let i = 0; i < n; i += kConnectBatch) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + kConnectBatch); ++j) batch.push(open(port));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

async function run(label, proc) {
  const port = proc.port;
  const t0 = Date.now();
  const sockets = await openAll(port, conns);
  const pairs = [];
  for (let i = 0; i + 1 < sockets.length; i += 2) pairs.push([sockets[i], sockets[i + 1]]);
  for (let i = 0; i < pairs.length; i += kConnectBatch) {
    await Promise.all(pairs.slice(i, i + kConnectBatch).map(async ([a, b]) => {
      const created = next(a, 'created');
      a.send('{"v":1,"type":"create"}');
      const c = await created;
      const joined = next(b, 'joined');
      const peer = next(a, 'peer_joined');
      b.send(JSON.stringify({ v: 1, type: 'join', room: c.room, token: c.token }));
      await Promise.all([joined, peer]);
    }));
  }
  const setupMs = Date.now() - t0;
  const memIdle = rssKiB(proc.pid);

  const latencies = new Float64Array(pairs.length * rounds * 2);
  let n = 0;
  const pad = 'A'.repeat(48);
  const payload = () => `${process.hrtime.bigint()}${pad}`;
  const cpu0 = cpuSeconds(proc.pid);
  const start = process.hrtime.bigint();
  await Promise.all(pairs.map(([a, b]) => new Promise((resolve) => {
    let left = rounds;
    const onMsg = (self, other, isCreator) => (data) => {
      const m = JSON.parse(data);
      if (m.type !== 'relay') return;
      const sent = BigInt(m.payload.slice(0, m.payload.length - pad.length));
      latencies[n++] = Number(process.hrtime.bigint() - sent) / 1e6;
      if (isCreator && --left === 0) return resolve();
      self.send(`{"v":1,"type":"relay","payload":"${payload()}"}`);
    };
    a.on('message', onMsg(a, b, true));
    b.on('message', onMsg(b, a, false));
    a.send(`{"v":1,"type":"relay","payload":"${payload()}"}`);
  })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const memBusy = rssKiB(proc.pid);
  const cpuUsPerMsg = ((cpuSeconds(proc.pid) - cpu0) * 1e6) / n;
  const lat = Array.from(latencies.subarray(0, n)).sort((x, y) => x - y);
  for (const s of sockets) s.terminate();
  return {
    label, conns: sockets.length, rooms: pairs.length, setupMs,
    msgs: n, msgsPerSec: n / seconds,
    p50: lat[Math.floor(n * 0.5)], p99: lat[Math.floor(n * 0.99)],
    rssIdleMiB: memIdle.rss / 1024, rssPeakMiB: memBusy.hwm / 1024, cpuUsPerMsg,
  };
}

function stop(p) {
  return new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGTERM'); });
}

(async () => {
  const ferry = await start(serverBin, ['--bind', '127.0.0.1', '--port', '0', '--max-conns-per-ip', '100000',
    '--max-connections', '100000', '--join-burst', '100000', '--join-rate', '100000', '--msg-rate', '100000',
    '--msg-burst', '100000', '--web-root', '/nonexistent']);
  const a = await run('ferry-server', ferry);
  await stop(ferry);
  const node = await start(process.execPath, [path.join(__dirname, 'relay_baseline.js'), '0']);
  const b = await run('node ws relay', node);
  await stop(node);

  const f = (x, d = 1) => x.toFixed(d);
  console.log(`\n${conns} connections, ${a.rooms} rooms, ${rounds} round trips per room (ping-pong)\n`);
  console.log('| server | setup s | messages | msgs/s | p50 ms | p99 ms | server CPU µs/msg | RSS idle MiB | RSS peak MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of [a, b]) {
    console.log(`| ${r.label} | ${f(r.setupMs / 1000)} | ${r.msgs} | ${f(r.msgsPerSec, 0)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.cpuUsPerMsg, 1)} | ${f(r.rssIdleMiB)} | ${f(r.rssPeakMiB)} |`);
  }
  console.log(`| ratio ferry/node | ${f(a.setupMs / b.setupMs, 2)} | | ${f(a.msgsPerSec / b.msgsPerSec, 2)} | ${f(a.p50 / b.p50, 2)} | ${f(a.p99 / b.p99, 2)} | ${f(a.cpuUsPerMsg / b.cpuUsPerMsg, 2)} | ${f(a.rssIdleMiB / b.rssIdleMiB, 2)} | ${f(a.rssPeakMiB / b.rssPeakMiB, 2)} |`);
  console.log('\nThe load generator is one Node process; when it is the bottleneck, msgs/s and latency measure it too, and server CPU per message is the fairer comparison.');
})().catch((e) => { console.error(e); process.exit(1); });
