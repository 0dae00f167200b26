// The checks of deploy/ that can run on a machine without a container engine (ctest
// deploy.<check>; README "Self-hosting"):
//   release_stage  scripts/build-release.sh (what deploy/Dockerfile's builder runs) stages a web
//                  root of only the page's files, which the staged ferry-server serves; the
//                  runtime stage's packages hold every shared library the binary needs, its COPY
//                  lines name what was staged, and its HEALTHCHECK command tells a serving server
//                  from a dead one
//   nginx_config   nginx -t on deploy/nginx/ferry.conf (test certificates made now), and a
//                  broken copy fails it
//   systemd_unit   systemd-analyze verify on deploy/systemd/ferry.service (no warnings at all)
//                  and its offline security exposure; every FERRY_* in ferry.env.example is a flag
//   compose        deploy/compose.yaml: ferry, nginx and coturn share the TURN secret and the
//                  proxy address, every FERRY_* is a flag, coturn's configuration denies the
//                  private ranges and really starts (in a namespace of its own)
// Usage: node check.mjs CHECK (FERRY_SERVER: the built ferry-server)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { kRoot, kServer, kStepTimeoutMs, log, startServer } from '../e2e/lib/ferry.mjs';
import { makeTestCa, nginxTest, renderFerryConf, testValues, writeNginxConf } from '../e2e/lib/nginx.mjs';
import { until } from '../e2e/lib/flows.mjs';

const deploy = (...p) => path.join(kRoot, 'deploy', ...p);
// The Dockerfile's HEALTHCHECK must answer within this (its own --timeout is 5 s).
const kHealthcheckTimeoutMs = 5000;
// systemd-analyze security's scale is 0 (locked down) to 10 (exposed); below 2 it says "OK".
const kMaxExposure = 2.0;
// What ferry-server takes after the drain grace to close its connections (main.cpp's
// kShutdownGrace): the stop timeouts must cover both.
const kShutdownGraceS = 2;
// How long coturn gets to open its listeners.
const kCoturnStartMs = 15_000;

function fail(msg) {
  throw new Error(msg);
}

// The FERRY_* names ferry-server reads: one per flag, from --help.
function flagVariables() {
  const help = execFileSync(kServer, ['--help'], { encoding: 'utf8' });
  return new Set([...help.matchAll(/\[(FERRY_[A-Z0-9_]+)\]/g)].map((m) => m[1]));
}

function checkVariables(names, where) {
  const known = flagVariables();
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) fail(`${where} sets ${unknown.join(', ')}, which ferry-server does not read (ferry-server --help)`);
  log(`${where}: ${names.length} FERRY_* variables, each a ferry-server flag`);
}

function get(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

// Packages of debian:bookworm-slim itself (Priority: required) that a binary may link.
const kSlimBasePackages = new Set(['libc6', 'libgcc-s1']);

// The Dockerfile's last stage (the runtime image): its text.
function runtimeStage() {
  const text = fs.readFileSync(deploy('Dockerfile'), 'utf8');
  return text.slice(text.lastIndexOf('\nFROM '));
}

// Each shared library `binary` loads must come from a package the runtime stage installs (or
// from the base image).
function checkRuntimeLibraries(binary) {
  const stage = runtimeStage();
  const install = stage.replace(/\\\n/g, ' ').match(/apt-get install -y --no-install-recommends ([^&]+)/);
  if (!install) fail('the runtime stage installs no packages');
  const installed = new Set(install[1].trim().split(/\s+/));
  const libs = [...execFileSync('ldd', [binary], { encoding: 'utf8' }).matchAll(/=> (\/\S+)/g)].map((m) => m[1]);
  const missing = [];
  // The package that ships a file, under any of its names (merged /usr: dpkg knows /lib/...).
  const ownerOf = (file) => {
    const real = fs.realpathSync(file);
    for (const name of new Set([file, real, real.replace(/^\/usr\/lib\//, '/lib/'), file.replace(/^\/usr\/lib\//, '/lib/')])) {
      const r = spawnSync('dpkg', ['-S', name], { encoding: 'utf8' });
      if (r.status === 0) return r.stdout.split(':')[0];
    }
    return `no package for ${file}`;
  };
  for (const lib of libs) {
    const owner = ownerOf(lib);
    if (!installed.has(owner) && !kSlimBasePackages.has(owner)) missing.push(`${lib} (${owner})`);
  }
  if (missing.length) fail(`the runtime stage lacks the packages of ${missing.join(', ')}`);
  for (const staged of ['/out/bin/ferry-server', '/out/web']) {
    if (!stage.includes(`COPY --from=builder ${staged} `)) fail(`the runtime stage does not copy ${staged}`);
  }
  log(`the runtime stage's packages (${[...installed].join(' ')}) hold all ${libs.length} libraries ferry-server loads`);
}

// The JSON exec form of the Dockerfile's HEALTHCHECK CMD.
function healthcheckCommand() {
  const text = fs.readFileSync(deploy('Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const m = text.match(/^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m);
  if (!m) fail('deploy/Dockerfile has no HEALTHCHECK ... CMD [...]');
  return JSON.parse(m[1]);
}

function runHealthcheck(port) {
  const [cmd, ...args] = healthcheckCommand();
  const r = spawnSync(cmd, args, { env: { ...process.env, FERRY_PORT: String(port) }, timeout: kHealthcheckTimeoutMs });
  return r.status;
}

async function releaseStage() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-release-'));
  try {
    execFileSync('bash', [path.join(kRoot, 'scripts/build-release.sh'), out], { stdio: 'inherit' });
    const web = path.join(out, 'web');
    // What the page may load: the shell's files, the client, zxcvbn and client-zip (hashed names
    // but for the entry points: cmake/stage_dist.cmake), their licences, and .br and .gz copies.
    const unhashed = (name) => name.replace(/\.(br|gz)$/, '').replace(/\.[0-9a-f]{16}(\.[a-z0-9]+)$/, '$1');
    const allowed = new Set(['ferry.js', 'ferry.wasm', 'zxcvbn.js', 'zxcvbn.LICENSE.txt', 'client-zip.js',
      'client-zip.LICENSE.txt', ...fs.readdirSync(path.join(kRoot, 'shell'))]);
    const entries = fs.readdirSync(web, { withFileTypes: true });
    const junk = entries.filter((e) => !e.isFile() || !allowed.has(unhashed(e.name)));
    if (junk.length) fail(`the staged web root holds files the page does not load: ${junk.map((e) => e.name).join(', ')}`);
    for (const e of entries.filter((x) => x.name.endsWith('.gz'))) {
      const plain = fs.readFileSync(path.join(web, e.name.slice(0, -3)));
      if (!zlib.gunzipSync(fs.readFileSync(path.join(web, e.name))).equals(plain)) fail(`${e.name} is not a gzip of its file`);
    }
    for (const e of entries.filter((x) => x.name.endsWith('.br'))) {
      const plain = fs.readFileSync(path.join(web, e.name.slice(0, -3)));
      if (!zlib.brotliDecompressSync(fs.readFileSync(path.join(web, e.name))).equals(plain)) fail(`${e.name} is not a brotli of its file`);
    }
    const wasmName = entries.map((e) => e.name).find((n) => /^ferry\.[0-9a-f]{16}\.wasm$/.test(n));
    const jsName = entries.map((e) => e.name).find((n) => /^ferry\.[0-9a-f]{16}\.js$/.test(n));
    if (!wasmName || !jsName) fail('the staged web root has no hashed ferry.<hash>.js and ferry.<hash>.wasm');
    for (const need of ['index.html', 'sw.js', 'manifest.webmanifest']) {
      if (!entries.some((e) => e.name === need)) fail(`the staged web root has no ${need}`);
    }
    // Everything the shell page names is there.
    const index = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
    const refs = [...index.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((m) => m[1]);
    const missing = refs.filter((r) => !fs.existsSync(path.join(web, r)));
    if (missing.length) fail(`index.html loads ${missing.join(', ')}, not staged`);
    log(`staged web root: ${entries.length} files (${refs.length} named by index.html), nothing else`);
    checkRuntimeLibraries(path.join(out, 'bin/ferry-server'));

    // The staged server serves the staged root; the Dockerfile's HEALTHCHECK sees it.
    const server = startServer(null, '127.0.0.1', 0, ['--web-root', web]);
    try {
      await server.ready;
      const port = Number(server.output().match(/event=listening .*?port=(\d+)/)[1]);
      const page = await get(port, '/');
      if (page.status !== 200 || !page.body.toString().includes('/' + jsName)) fail(`GET / from the staged root: ${page.status}`);
      const wasm = await get(port, '/' + wasmName, { 'Accept-Encoding': 'gzip' });
      if (wasm.status !== 200 || wasm.headers['content-type'] !== 'application/wasm' || wasm.headers['content-encoding'] !== 'gzip') {
        fail(`GET /${wasmName}: ${wasm.status} ${wasm.headers['content-type']} ${wasm.headers['content-encoding']}`);
      }
      if (!zlib.gunzipSync(wasm.body).equals(fs.readFileSync(path.join(web, wasmName)))) fail(`/${wasmName} (gzip) differs from the staged file`);
      log(`the staged server sends ${wasmName} gzipped: ${wasm.body.length} bytes for ${fs.statSync(path.join(web, wasmName)).size}`);
      const healthy = runHealthcheck(port);
      if (healthy !== 0) fail(`the Dockerfile's HEALTHCHECK failed (${healthy}) against a serving ferry-server`);
      server.stop();
      await until('the staged ferry-server to exit', () => server.proc.exitCode !== null || server.proc.signalCode !== null);
      const dead = runHealthcheck(port);
      if (dead === 0) fail('the Dockerfile\'s HEALTHCHECK passed with no server listening');
      log(`the Dockerfile's HEALTHCHECK: 0 while serving, ${dead} once stopped`);
    } finally {
      server.stop();
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function nginxConfig() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nginx-t-'));
  try {
    const certs = makeTestCa(path.join(dir, 'tls'), { ips: ['127.0.0.1'], dns: ['ferry.test'] });
    const conf = writeNginxConf(dir, renderFerryConf(testValues(dir, certs, { serverName: 'ferry.test' })));
    const ok = nginxTest(dir, conf);
    if (!ok.ok) fail(`nginx -t refused deploy/nginx/ferry.conf:\n${ok.output}`);
    log(`nginx -t: ${ok.output.trim().split('\n').pop()}`);
    // The check can fail: a copy without the upgrade map is refused.
    const broken = writeNginxConf(dir, renderFerryConf(testValues(dir, certs)).replace(/map \$http_upgrade[^}]*}/, ''));
    const bad = nginxTest(dir, broken);
    if (bad.ok) fail('nginx -t accepted a copy of ferry.conf without its $ferry_connection map');
    log(`nginx -t on a broken copy: ${bad.output.trim().split('\n')[0]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function systemdUnit() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-unit-'));
  try {
    // verify checks that ExecStart's program exists: this build's ferry-server stands in for
    // /usr/local/bin/ferry-server.
    const unit = fs.readFileSync(deploy('systemd/ferry.service'), 'utf8');
    const local = unit.replace(/^ExecStart=\/usr\/local\/bin\/ferry-server$/m, `ExecStart=${kServer}`);
    if (local === unit) fail('ferry.service has no ExecStart=/usr/local/bin/ferry-server line');
    const file = path.join(dir, 'ferry.service');
    fs.writeFileSync(file, local);
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    const said = `${r.stdout}${r.stderr}`.trim();
    if (r.status !== 0 || said) fail(`systemd-analyze verify (${r.status}):\n${said}`);
    log('systemd-analyze verify: no errors, no warnings');
    const sec = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], { encoding: 'utf8' });
    const m = `${sec.stdout}${sec.stderr}`.match(/Overall exposure level for ferry\.service: ([\d.]+)/);
    if (!m) fail(`systemd-analyze security gave no exposure level:\n${sec.stdout}${sec.stderr}`);
    if (Number(m[1]) > kMaxExposure) fail(`exposure ${m[1]} is above ${kMaxExposure}`);
    log(`systemd-analyze security --offline: exposure ${m[1]} (0 safest, 10 exposed)`);
    for (const key of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=\n',
      'RestrictAddressFamilies=AF_INET AF_INET6']) {
      if (!local.includes(key)) fail(`ferry.service lacks ${key.trim()}`);
    }
    const env = fs.readFileSync(deploy('systemd/ferry.env.example'), 'utf8');
    checkVariables([...env.matchAll(/^#?(FERRY_[A-Z0-9_]+)=/gm)].map((x) => x[1]), 'ferry.env.example');
    const grace = Number((env.match(/^FERRY_DRAIN_GRACE=(\d+)$/m) || [0, 0])[1]);
    const stopTimeout = Number(local.match(/^TimeoutStopSec=(\d+)$/m)[1]);
    if (grace + kShutdownGraceS >= stopTimeout) fail(`FERRY_DRAIN_GRACE=${grace} does not fit in TimeoutStopSec=${stopTimeout}`);
    log(`drain grace ${grace} s + ${kShutdownGraceS} s fits in TimeoutStopSec=${stopTimeout}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function compose() {
  const json = execFileSync('python3', ['-c',
    'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', deploy('compose.yaml')], { encoding: 'utf8' });
  const c = JSON.parse(json);
  for (const s of ['ferry', 'nginx', 'coturn']) if (!c.services[s]) fail(`compose.yaml has no ${s} service`);
  const { ferry, nginx, coturn } = c.services;
  checkVariables(Object.keys(ferry.environment), 'compose.yaml (ferry)');
  if (ferry.environment.FERRY_TURN_SECRET !== '${FERRY_TURN_SECRET:?set FERRY_TURN_SECRET in .env}' ||
      !/^\$\{FERRY_TURN_SECRET/.test(coturn.environment.FERRY_TURN_SECRET)) {
    fail('ferry and coturn do not take the same FERRY_TURN_SECRET');
  }
  // nginx reaches ferry on loopback in ferry's namespace, and ferry believes only that proxy.
  if (nginx.network_mode !== 'service:ferry') fail('nginx does not share ferry\'s network namespace');
  const upstream = fs.readFileSync(deploy('nginx/ferry.conf'), 'utf8').match(/server (\S+):(\d+);\s*# deployment: where/);
  if (!upstream || ferry.environment.FERRY_BIND !== upstream[1] || ferry.environment.FERRY_PORT !== upstream[2] ||
      ferry.environment.FERRY_TRUST_PROXY !== upstream[1]) {
    fail(`ferry's FERRY_BIND/PORT/TRUST_PROXY do not match nginx's upstream ${upstream && upstream[0]}`);
  }
  const grace = Number(ferry.environment.FERRY_DRAIN_GRACE || 0);
  const stopGrace = Number((String(ferry.stop_grace_period || '10s').match(/^(\d+)s$/) || [0, 0])[1]);
  if (grace + kShutdownGraceS >= stopGrace) fail(`FERRY_DRAIN_GRACE=${grace} does not fit in stop_grace_period ${ferry.stop_grace_period}`);
  const dockerfile = fs.readFileSync(deploy('Dockerfile'), 'utf8');
  for (const s of [nginx, coturn]) {
    if (!new RegExp(`^FROM \\S+ AS ${s.build.target}$`, 'm').test(dockerfile)) fail(`the Dockerfile has no stage ${s.build.target}`);
  }
  log('compose.yaml: ferry, nginx (in ferry\'s namespace, upstream = FERRY_BIND:FERRY_PORT = trusted proxy), coturn share FERRY_TURN_SECRET');

  // coturn: use-auth-secret, the private ranges denied, and the file really starts coturn.
  const turnConf = fs.readFileSync(deploy('coturn/turnserver.conf'), 'utf8');
  if (!/^use-auth-secret$/m.test(turnConf)) fail('turnserver.conf lacks use-auth-secret');
  for (const r of ['10.0.0.0-10.255.255.255', '172.16.0.0-172.31.255.255', '192.168.0.0-192.168.255.255']) {
    if (!turnConf.includes(`denied-peer-ip=${r}`)) fail(`turnserver.conf does not deny ${r}`);
  }
  await coturnStarts(turnConf);
}

// Starts coturn on the configuration (plus a secret, as the image's CMD appends it) in a
// namespace of its own (only lo: nothing reaches it), and waits for its listeners.
async function coturnStarts(turnConf) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-coturn-'));
  const ns = `fd${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  let proc = null;
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const conf = path.join(dir, 'turnserver.conf');
    // Its own addresses: the namespace has only lo, which coturn does not pick by itself;
    // verbose: for its "listener opened" lines.
    fs.writeFileSync(conf, `${turnConf}\nstatic-auth-secret=deploy-check-secret\npidfile=${dir}/turn.pid\n` +
      `userdb=${dir}/turndb\nlistening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nverbose\n`);
    proc = spawn('ip', ['netns', 'exec', ns, 'turnserver', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    await until('coturn to open its listeners on the deploy configuration',
      () => /UDP listener opened on: 127\.0\.0\.1:3478/.test(out) || proc.exitCode !== null,
      { timeout: kCoturnStartMs, detail: () => out.slice(-2000) });
    if (proc.exitCode !== null) fail(`coturn exited on the deploy configuration:\n${out.slice(-2000)}`);
    const complaints = out.split('\n').filter((l) => /bad configuration|unknown option|unrecognized|ERROR/.test(l));
    if (complaints.length) fail(`coturn complained about the configuration:\n${complaints.join('\n')}`);
    if (out.includes('deploy-check-secret')) fail('coturn printed the shared secret');
    log('coturn starts on deploy/coturn/turnserver.conf (listening on 3478) without a complaint');
  } finally {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await until('coturn to exit', () => proc.exitCode !== null || proc.signalCode !== null, { timeout: kStepTimeoutMs });
    }
    execFileSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const kChecks = { release_stage: releaseStage, nginx_config: nginxConfig, systemd_unit: systemdUnit, compose };
const name = process.argv[2];
if (!kChecks[name]) {
  console.error(`usage: node check.mjs ${Object.keys(kChecks).join('|')}`);
  process.exit(2);
}
try {
  await kChecks[name]();
  console.log(`deploy.${name}: 1 passed, 0 failed`);
} catch (e) {
  console.error(`deploy.${name} FAILED: ${e.stack || e.message}`);
  process.exit(1);
}
