// Data relay throughput across instances (not a test): one redis-server and two ferry-server
// instances with --redis on loopback. Rooms relay binary frames (64 KiB, as the client's chunks)
// from the creator to the joiner as fast as backpressure lets them, with both peers on instance 1
// (same-instance) and with the joiner on instance 2 (cross-instance, through Redis pub/sub).
// Reports MiB/s and the CPU seconds each process used per GiB relayed.
//
//   node bench/server/cross_instance.js [--mib 256] [--rooms 1] [--server build/native/server/ferry-server]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const WebSocket = require('ws');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const mib = Number(args.mib || 256);
const rooms = Number(args.rooms || 1);
const root = path.resolve(__dirname, '../..');
const serverBin = args.server || path.join(root, 'build/native/server/ferry-server');
const kFrameBytes = 64 * 1024;
// Frames a sender keeps in its socket buffer before waiting: the server's backpressure (not this)
// is what paces it.
const kSendAhead = 1024 * 1024;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function startFerry(redisUrl) {
  return new Promise((resolve, reject) => {
    const p = spawn(serverBin, ['--bind', '127.0.0.1', '--port', '0', '--signal-only', '--redis', redisUrl,
      '--relay-rate', '1000000000', '--relay-total-rate', '0', '--join-burst', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      const m = /event=listening address=\S+ port=(\d+)/.exec(buf);
      if (m && !p.port) p.port = Number(m[1]);
      if (p.port && /event=redis_up/.test(buf) && !p.ready) { p.ready = true; setTimeout(() => resolve(p), 300); }
      if (buf.length > 1e6) buf = buf.slice(-1000);
    });
    p.on('exit', (code) => { if (!p.ready) reject(new Error(`ferry-server exited with ${code}`)); });
  });
}

function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
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
    const on = (data, binary) => {
      if (binary) return;
      const m = JSON.parse(data.toString());
      if (m.type === type) { ws.off('message', on); resolve(m); }
    };
    ws.on('message', on);
  });
}

async function room(creatorPort, joinerPort) {
  const a = await open(creatorPort);
  const createdP = next(a, 'created');
  a.send(JSON.stringify({ v: 1, type: 'create' }));
  const created = await createdP;
  const b = await open(joinerPort);
  const joined = next(b, 'joined');
  const peer = next(a, 'peer_joined');
  b.send(JSON.stringify({ v: 1, type: 'join', room: created.room, token: created.token }));
  await Promise.all([joined, peer]);
  return { a, b };
}

// Every room's creator sends `mib` MiB / rooms; resolves when every joiner has all of it.
async function run(pairs) {
  const perRoom = Math.floor((mib * 1024 * 1024) / pairs.length / kFrameBytes);
  const frame = Buffer.alloc(kFrameBytes, 7);
  const t0 = process.hrtime.bigint();
  await Promise.all(pairs.map(({ a, b }) => new Promise((resolve) => {
    let got = 0;
    b.on('message', (data, binary) => { if (binary && (got += 1) === perRoom) resolve(); });
    let sent = 0;
    const pump = () => {
      while (sent < perRoom && a.bufferedAmount < kSendAhead) { a.send(frame, { binary: true }); sent += 1; }
      if (sent < perRoom) setTimeout(pump, 1);
    };
    pump();
  })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, bytes: perRoom * pairs.length * kFrameBytes };
}

(async () => {
  const redisPort = await freePort();
  const dir = fs.mkdtempSync('/tmp/ferry-bench-redis-');
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${redisPort}`;
  const one = await startFerry(url);
  const two = await startFerry(url);
  const results = [];
  try {
    for (const [name, joinerPort] of [['same-instance', one.port], ['cross-instance', two.port]]) {
      const pairs = [];
      for (let i = 0; i < rooms; i++) pairs.push(await room(one.port, joinerPort));
      const before = [one.pid, two.pid, redis.pid].map(cpuSeconds);
      const r = await run(pairs);
      const after = [one.pid, two.pid, redis.pid].map(cpuSeconds);
      const gib = r.bytes / 2 ** 30;
      const cpu = after.map((v, i) => ((v - before[i]) / gib).toFixed(2));
      results.push({ name, mibps: (r.bytes / 2 ** 20 / r.seconds).toFixed(1), seconds: r.seconds.toFixed(2),
        cpu_s_per_gib: { ferry1: cpu[0], ferry2: cpu[1], redis: cpu[2] } });
      for (const { a, b } of pairs) { a.close(); b.close(); }
    }
  } finally {
    one.kill('SIGKILL');
    two.kill('SIGKILL');
    redis.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${mib} MiB in ${rooms} room(s), 64 KiB frames, relay budget off`);
  for (const r of results) {
    console.log(`${r.name.padEnd(15)} ${String(r.mibps).padStart(8)} MiB/s  (${r.seconds} s)  CPU s/GiB: ferry1 ${r.cpu_s_per_gib.ferry1}, ferry2 ${r.cpu_s_per_gib.ferry2}, redis ${r.cpu_s_per_gib.redis}`);
  }
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
