// Server benchmark (not a test): opens N WebSocket connections in N/2 rooms on ferry-server and on
// a minimal Node `ws` relay (relay_baseline.js), relays messages in every room at once, and
// reports messages/s, p50/p99 one-way relay latency, server CPU per message and RSS, with the ratios.
//
//   node bench/server/bench.js [--conns 10000] [--rounds 20] [--repeat 1] [--loadgen-threads 1]
//                              [--server build/native/server/ferry-server]
//                              [--loadgen build/native/bench/server/ferry-loadgen] [--pin]
//   node bench/server/bench.js --redis [--conns 2000] ...
//
// The load generator is ferry-loadgen (loadgen.cpp, C++/Beast): each room plays ping-pong (the
// creator relays, the joiner answers on receipt) `rounds` times, every room at once. The same
// loadgen drives both servers; --repeat alternates them, so every ratio compares runs made
// minutes apart at most. --pin puts the server on CPU 0 and the loadgen on CPU 1 (taskset).
// --redis compares two ferry-server instances sharing rooms through a redis-server it starts
// (creators on instance 1, joiners on instance 2, so every message crosses instances) with one
// instance alone; server CPU then sums both instances, and Redis's own CPU is reported apart.
'use strict';
const { spawn, execFile } = require('child_process');
const path = require('path');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const conns = Number(args.conns || 10000);
const rounds = Number(args.rounds || 20);
const repeat = Number(args.repeat || 1);
const loadgenThreads = Number(args['loadgen-threads'] || 1);
const pin = 'pin' in args;
const root = path.resolve(__dirname, '../..');
const serverBin = args.server || path.join(root, 'build/native/server/ferry-server');
const loadgenBin = args.loadgen || path.join(root, 'build/native/bench/server/ferry-loadgen');

function pinned(cpu, cmd, argv) { return pin ? ['taskset', ['-c', String(cpu), cmd, ...argv]] : [cmd, argv]; }

function start(cmd, argv) {
  return new Promise((resolve, reject) => {
    const p = spawn(...pinned(0, cmd, argv), { stdio: ['ignore', 'pipe', 'inherit'] });
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

function stop(p) {
  return new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGTERM'); });
}

function loadgen(proc, joinProc = null) {
  const extra = joinProc ? ['--join-port', String(joinProc.port), '--server-pid2', String(joinProc.pid)] : [];
  const [cmd, argv] = pinned(1, loadgenBin, ['--port', String(proc.port), '--conns', String(conns), '--rounds',
    String(rounds), '--threads', String(loadgenThreads), '--server-pid', String(proc.pid), ...extra]);
  // Asynchronous: the server's log is read from its pipe meanwhile (a full pipe would stall it).
  return new Promise((resolve, reject) => {
    const p = execFile(cmd, argv, { encoding: 'utf8' }, (err, out) => (err ? reject(err) : resolve(JSON.parse(out))));
    p.stderr.pipe(process.stderr);
  });
}

const ferryArgs = ['--bind', '127.0.0.1', '--port', '0', '--max-conns-per-ip', '100000', '--max-connections', '100000',
  '--join-burst', '100000', '--join-rate', '100000', '--msg-rate', '100000', '--msg-burst', '100000',
  '--web-root', '/nonexistent'];

async function measure(label, cmd, argv) {
  const p = await start(cmd, argv);
  try { return { label, ...(await loadgen(p)) }; } finally { await stop(p); }
}

// CPU seconds (user + system) of a process so far, from /proc.
function cpuSeconds(pid) {
  const f = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function redisComparison() {
  const f = (x, d = 1) => x.toFixed(d);
  const port = await new Promise((resolve) => {  // a free port now (not one from the ephemeral range later)
    const srv = require('net').createServer();
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  redis.on('exit', (code, signal) => console.error(`redis-server exited (${code ?? signal})`));
  const url = `redis://127.0.0.1:${port}`;
  await new Promise((r) => setTimeout(r, 500));  // (a bench: the instances retry Redis until it answers)
  console.log(`\n${conns} connections, ${conns / 2} rooms, ${rounds} round trips per room; two instances on ${url}\n`);
  console.log('| run | servers | msgs/s | p50 ms | p99 ms | ferry CPU µs/msg (all instances) | redis CPU µs/msg |');
  console.log('|---|---|---|---|---|---|---|');
  try {
    for (let i = 1; i <= repeat; ++i) {
      const one = await measure('one instance', serverBin, ferryArgs);
      console.log(`| ${i} | one instance | ${f(one.msgs_per_s, 0)} | ${f(one.p50_ms, 2)} | ${f(one.p99_ms, 2)} | ${f(one.server_us_per_msg, 1)} | |`);
      const a = await start(serverBin, [...ferryArgs, '--redis', url]);
      const b = await start(serverBin, [...ferryArgs, '--redis', url]);
      try {
        await new Promise((r) => setTimeout(r, 1500));  // each sees the other's presence key
        const r0 = cpuSeconds(redis.pid);
        const two = await loadgen(a, b);
        const redisUs = (cpuSeconds(redis.pid) - r0) * 1e6 / two.msgs;  // setup included: an upper bound
        console.log(`| ${i} | two instances, every message across | ${f(two.msgs_per_s, 0)} | ${f(two.p50_ms, 2)} | ` +
          `${f(two.p99_ms, 2)} | ${f(two.server_us_per_msg, 1)} | ${f(redisUs, 1)} |`);
        console.log(`| ${i} | ratio two/one | ${f(two.msgs_per_s / one.msgs_per_s, 2)} | | ${f(two.p99_ms / one.p99_ms, 2)} | ` +
          `${f(two.server_us_per_msg / one.server_us_per_msg, 2)} | |`);
      } finally {
        await stop(a);
        await stop(b);
      }
    }
  } finally {
    redis.kill('SIGTERM');
  }
}

(async () => {
  if ('redis' in args) return redisComparison();
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`\n${conns} connections, ${conns / 2} rooms, ${rounds} round trips per room (ping-pong), ` +
    `loadgen threads ${loadgenThreads}${pin ? ', pinned' : ''}\n`);
  console.log('| run | server | setup s | messages | msgs/s | p50 ms | p99 ms | server CPU µs/msg | server busy | loadgen CPU µs/msg | RSS idle MiB | RSS peak MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const row = (i, r) => console.log(`| ${i} | ${r.label} | ${f(r.setup_s)} | ${r.msgs} | ${f(r.msgs_per_s, 0)} | ${f(r.p50_ms, 2)} | ` +
    `${f(r.p99_ms, 2)} | ${f(r.server_us_per_msg, 1)} | ${f(100 * r.server_cpu_s / r.seconds, 0)}% | ${f(r.loadgen_us_per_msg, 1)} | ` +
    `${f(r.server_rss_idle_kib / 1024)} | ${f(r.server_rss_peak_kib / 1024)} |`);
  for (let i = 1; i <= repeat; ++i) {
    const a = await measure('ferry-server', serverBin, ferryArgs);
    row(i, a);
    const b = await measure('node ws relay', process.execPath, [path.join(__dirname, 'relay_baseline.js'), '0']);
    row(i, b);
    console.log(`| ${i} | ratio ferry/node | ${f(a.setup_s / b.setup_s, 2)} | | ${f(a.msgs_per_s / b.msgs_per_s, 2)} | ` +
      `${f(a.p50_ms / b.p50_ms, 2)} | ${f(a.p99_ms / b.p99_ms, 2)} | ${f(a.server_us_per_msg / b.server_us_per_msg, 2)} | | | ` +
      `${f(a.server_rss_idle_kib / b.server_rss_idle_kib, 2)} | ${f(a.server_rss_peak_kib / b.server_rss_peak_kib, 2)} |`);
  }
  console.log('\nserver busy: the server\'s CPU time over the ping-pong\'s wall time (100% = one core, the ' +
    'single-threaded servers\' limit). loadgen CPU: ferry-loadgen\'s own CPU per message.');
})().catch((e) => { console.error(e); process.exit(1); });
