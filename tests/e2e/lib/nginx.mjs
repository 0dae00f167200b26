// Debian's nginx with the project's own deploy/nginx/ferry.conf, for the tests: a test CA and a
// server certificate made at test time (openssl), the config with its "deployment:" lines
// filled in, and an nginx run as an ordinary process of the test (its own prefix, pid file,
// temp folders and logs; never the system service). Used by deploy.nginx_config (nginx -t,
// tests/deploy/check.mjs) and e2e.nginx_proxy (the real thing in front of ferry-server).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { kRoot, kStepTimeoutMs } from './ferry.mjs';

export const kNginx = '/usr/sbin/nginx';
export const kFerryConf = path.join(kRoot, 'deploy/nginx/ferry.conf');
// nginx's temp folders, each of which a default build opens below /var/lib/nginx otherwise.
const kTempDirs = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
// How long nginx gets to start listening.
const kStartTimeoutMs = 10_000;

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// A CA and a certificate it signs for `ips` (and `dns` names), in `dir`:
// { ca, cert, key } (PEM file paths). The CA's key stays in `dir` and dies with it.
export function makeTestCa(dir, { ips = [], dns = [] } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n) => path.join(dir, n);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=Ferry test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=ferry test server',
    '-keyout', f('server.key'), '-out', f('server.csr'));
  const san = [...ips.map((a) => `IP:${a}`), ...dns.map((d) => `DNS:${d}`)].join(',');
  fs.writeFileSync(f('server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n` +
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('server.ext'), '-out', f('server.pem'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

// Makes Chromium trust `caPem`: an NSS database in `home`/.pki/nssdb, which Chromium on Linux
// reads from $HOME. Returns `home` (set HOME to it for the browser).
export function trustInNss(home, caPem) {
  const db = path.join(home, '.pki/nssdb');
  fs.mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { stdio: 'pipe' });
  execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'ferry-test-ca', '-t', 'C,,', '-i', caPem], { stdio: 'pipe' });
  return home;
}

// deploy/nginx/ferry.conf with each "# deployment: <what>" line's directive given the values in
// `values` (keyed by <what>); a key that matches no line, or a marked line left without a
// value, is an error, so the test follows the file and cannot drift from it.
export function renderFerryConf(values, source = fs.readFileSync(kFerryConf, 'utf8')) {
  const used = new Set();
  const out = source.split('\n').map((line) => {
    const m = line.match(/^(\s*)(\S+)\s+(.*?);\s*# deployment: (.+)$/);
    if (!m) return line;
    const [, indent, directive, , what] = m;
    if (!(what in values)) throw new Error(`no value for the deployment line "${what}" of ${kFerryConf}`);
    used.add(what);
    return `${indent}${directive} ${values[what]};`;
  });
  for (const k of Object.keys(values)) {
    if (!used.has(k)) throw new Error(`${kFerryConf} has no "# deployment: ${k}" line`);
  }
  return out.join('\n');
}

// Writes `dir`/nginx.conf: a main configuration of the test's own around the rendered
// ferry.conf (pid file, error log, temp folders and logs under `dir`). Returns its path.
export function writeNginxConf(dir, ferryConf) {
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  for (const t of kTempDirs) {
    const d = path.join(dir, 'temp', t);
    fs.mkdirSync(d, { recursive: true });
    // The workers run as nobody (nginx's default when started as root) and buffer large
    // responses (ferry.wasm) in these.
    execFileSync('chown', ['nobody', d]);
  }
  fs.writeFileSync(path.join(dir, 'ferry.conf'), ferryConf);
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, [
    '# Written by tests/e2e/lib/nginx.mjs for one test run.',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/logs/error.log info;`,
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    ...kTempDirs.map((t) => `  ${t}_temp_path ${dir}/temp/${t};`),
    `  access_log ${dir}/logs/access.log;`,
    `  include ${dir}/ferry.conf;`,
    '}',
    '',
  ].join('\n'));
  return conf;
}

// Values for renderFerryConf that keep everything under `dir` and use the test certificate.
export function testValues(dir, certs, { upstream = '127.0.0.1:8080', serverName = '_' } = {}) {
  return {
    'where ferry-server listens': upstream,
    'your host name': serverName,
    'certificate chain': certs.cert,
    'its key': certs.key,
    'log file': `${dir}/logs/ferry.access.log ferry_noquery`,
  };
}

// `nginx -t` on `conf`: { ok, output } (nginx reports on stderr).
export function nginxTest(dir, conf) {
  const r = spawnSync(kNginx, ['-t', '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout || ''}${r.stderr || ''}${r.error ? r.error.message : ''}` };
}

function canConnect(ns, host, port) {
  if (ns) {
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'node', '-e',
        `require('net').connect(${port}, '${host}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`],
      { stdio: 'ignore', timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

// Starts nginx (in namespace `ns`, or this one) on `conf`, in the foreground as a child of the
// test; resolves once `host`:`port` accepts connections. stop() ends it by its PID.
export async function startNginx(ns, dir, conf, { host, port }) {
  const argv = [kNginx, '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf, '-g', 'daemon off;'];
  const proc = ns ? spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const errorLog = () => { try { return fs.readFileSync(`${dir}/logs/error.log`, 'utf8'); } catch { return ''; } };
  const t0 = Date.now();
  while (!(await canConnect(ns, host, port))) {
    if (proc.exitCode !== null || Date.now() - t0 > kStartTimeoutMs) {
      try { proc.kill('SIGTERM'); } catch { /* gone */ }
      throw new Error(`nginx did not start on ${host}:${port}:\n${out}\n${errorLog()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    errorLog,
    accessLog: () => { try { return fs.readFileSync(`${dir}/logs/ferry.access.log`, 'utf8'); } catch { return ''; } },
    async stop() {
      // `ip netns exec` execs nginx: proc.pid is nginx's master. SIGQUIT: finish and exit.
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGQUIT');
      const timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, kStepTimeoutMs / 6);
      await exited;
      clearTimeout(timer);
    },
  };
}
