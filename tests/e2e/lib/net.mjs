// Test hosts for end-to-end tests: network namespaces made by the test itself.
//
//   LAN:  [host a 10.231.N.2] --veth--+
//                                     br0 in [server 10.231.N.1]
//         [host b 10.231.N.3] --veth--+
//
// Each host has lo up and a default route to the server end: without a default route Chromium
// gathers no host candidates. Traffic never leaves these namespaces and loopback.
//
// With a `wan` ({ host: 'b', rttMs, loss, jitterMs, rateMbit, queueMs, seed }), that host's
// link is not a veth but ferry-wanem (tests/tools/wanem.cpp): two TAP devices, one in the host
// (its eth0) and one on br0, with delay, loss and a rate cap between them. Everything the host
// sends, to the server or to the other host, crosses it once each way: rttMs is the round
// trip it adds between that host and any other.
//
//   [host b eth0 = TAP] <== ferry-wanem (in the server namespace) ==> [TAP wanl on br0]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The emulator built with the native tree (ctest sets FERRY_WANEM).
const kWanem = process.env.FERRY_WANEM
  || path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../build/native/tests/tools/ferry-wanem');
// How long the emulator gets to create its devices.
const kWanReadyMs = 5000;

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
export function nsExec(ns, ...args) {
  ip('netns', 'exec', ns, ...args);
}

// A short unique tag keeps parallel tests (ctest -j) in separate namespaces and subnets.
export function uniqueSubnet() {
  return 10 + (process.pid % 240);
}

export class Lan {
  constructor(tag = `fe${process.pid}`, subnet = uniqueSubnet(), { wan = null } = {}) {
    this.tag = tag;
    this.wan = wan ? { host: 'b', ...wan } : null;
    this.wanem = null;
    this.subnet = subnet;
    this.ns = { server: `${tag}-s`, a: `${tag}-a`, b: `${tag}-b` };
    this.addr = { server: `10.231.${subnet}.1`, a: `10.231.${subnet}.2`, b: `10.231.${subnet}.3` };
    this.made = [];
    this.wrapperDirs = [];
  }

  up() {
    const { server, a, b } = this.ns;
    for (const n of [server, a, b]) {
      ip('netns', 'add', n);
      this.made.push(n);
      nsExec(n, 'ip', 'link', 'set', 'lo', 'up');
    }
    nsExec(server, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    nsExec(server, 'ip', 'addr', 'add', `${this.addr.server}/24`, 'dev', 'br0');
    nsExec(server, 'ip', 'link', 'set', 'br0', 'up');
    for (const host of ['a', 'b']) {
      const n = this.ns[host];
      const peer = `v${host}`;
      if (this.wan && this.wan.host === host) {
        this.startWan(n, peer);
      } else {
        ip('link', 'add', 'eth0', 'netns', n, 'type', 'veth', 'peer', 'name', peer, 'netns', server);
      }
      nsExec(server, 'ip', 'link', 'set', peer, 'master', 'br0');
      nsExec(server, 'ip', 'link', 'set', peer, 'up');
      nsExec(n, 'ip', 'addr', 'add', `${this.addr[host]}/24`, 'dev', 'eth0');
      nsExec(n, 'ip', 'link', 'set', 'eth0', 'up');
      nsExec(n, 'ip', 'route', 'add', 'default', 'via', this.addr.server);
    }
    return this;
  }

  // ferry-wanem in the server namespace with TAP devices `far` (moved into `hostNs` and named
  // `farName` there) and `near` (left in the server namespace, for br0).
  startWan(hostNs, near, farName = 'eth0') {
    const w = this.wan;
    const far = 'wanfar';
    const args = ['netns', 'exec', this.ns.server, kWanem, '--tap-a', near, '--tap-b', far,
      '--rtt-ms', String(w.rttMs || 0), '--loss', String(w.loss || 0), '--jitter-ms', String(w.jitterMs || 0),
      '--rate-mbit', String(w.rateMbit || 0), '--queue-ms', String(w.queueMs || 50), '--seed', String(w.seed || 1)];
    // stdin stays open: it carries new settings (setWan), and its end stops the emulator.
    const proc = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    this.wanem = { proc, exited, output: () => out, errors: () => err };
    // `ip netns exec` execs the emulator: proc.pid is the emulator's own PID.
    for (const t0 = Date.now(); ;) {
      try {
        nsExec(this.ns.server, 'ip', 'link', 'show', far);
        nsExec(this.ns.server, 'ip', 'link', 'show', near);
        break;
      } catch {
        if (Date.now() - t0 > kWanReadyMs || proc.exitCode !== null) {
          throw new Error(`ferry-wanem did not start (${kWanem}): ${err}`);
        }
        sleepSync(20);
      }
    }
    // No IPv6 on the far side: its link-local address would finish duplicate address detection
    // about 2 s after the link comes up, and a browser started meanwhile sees a network change
    // and fails its navigation with ERR_NETWORK_CHANGED (seen in e2e.wan_transfer and
    // e2e.wan_resume in a full ctest run; the veth hosts have not met it so far).
    nsExec(hostNs, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    nsExec(this.ns.server, 'ip', 'link', 'set', far, 'netns', hostNs);
    nsExec(hostNs, 'ip', 'link', 'set', far, 'name', farName);
  }

  // New settings for the emulator from now on ({ rttMs, loss, jitterMs, rateMbit, queueMs }; the
  // others keep theirs). Resolves once it has taken them.
  async setWan(settings) {
    const keys = { rttMs: 'rtt-ms', loss: 'loss', jitterMs: 'jitter-ms', rateMbit: 'rate-mbit', queueMs: 'queue-ms' };
    const line = Object.entries(settings).map(([k, v]) => {
      if (!keys[k]) throw new Error(`setWan: unknown setting ${k}`);
      return `${keys[k]}=${v}`;
    }).join(' ');
    const w = this.wanem;
    const answers = () => (w.output().match(/^(ok|error.*)$/gm) || []).length;
    const before = answers();
    w.proc.stdin.write(line + '\n');
    for (const t0 = Date.now(); answers() === before;) {
      if (Date.now() - t0 > kWanReadyMs) throw new Error('ferry-wanem did not answer');
      await new Promise((r) => setTimeout(r, 10));
    }
    const last = w.output().match(/^(ok|error.*)$/gm).at(-1);
    if (last !== 'ok') throw new Error(`ferry-wanem: ${last} (for "${line}")`);
    Object.assign(this.wan, settings);
  }

  // Stops the emulator and returns its counters per direction ({ a_to_b, b_to_a }: a is the
  // br0 side, b the host's), or null without one.
  async stopWan() {
    if (!this.wanem) return null;
    const w = this.wanem;
    this.wanem = null;
    if (w.proc.exitCode === null) w.proc.kill('SIGTERM');
    await w.exited;
    const line = w.output().split('\n').find((l) => l.startsWith('{'));
    return line ? JSON.parse(line) : null;
  }

  down() {
    if (this.wanem && this.wanem.proc.exitCode === null) this.wanem.proc.kill('SIGTERM');
    this.wanem = null;
    for (const n of this.made.reverse()) {
      try { ip('netns', 'del', n); } catch { /* already gone */ }
    }
    this.made = [];
    for (const d of this.wrapperDirs) fs.rmSync(d, { recursive: true, force: true });
    this.wrapperDirs = [];
  }

  // An executable that runs a program inside a namespace (Playwright's executablePath). It
  // leaves its PID in the file `pid` beside it: every step execs (sh, ip netns exec, Debian's
  // chromium script), so that is the PID of the program itself (browserPid in browser.mjs).
  wrapper(ns, program) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-'));
    this.wrapperDirs.push(dir);
    const file = path.join(dir, `in-${ns}`);
    fs.writeFileSync(file, `#!/bin/sh\necho $$ > ${path.join(dir, 'pid')}\nexec ip netns exec ${ns} ${program} "$@"\n`,
      { mode: 0o755 });
    return file;
  }
}
