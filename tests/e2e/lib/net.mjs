// Test hosts for end-to-end tests: network namespaces made by the test itself.
//
//   LAN:  [host a 10.231.N.2] --veth--+
//                                     br0 in [server 10.231.N.1]
//         [host b 10.231.N.3] --veth--+
//
// Each host has lo up and a default route to the server end: without a default route Chromium
// gathers no host candidates. Traffic never leaves these namespaces and loopback.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
  constructor(tag = `fe${process.pid}`, subnet = uniqueSubnet()) {
    this.tag = tag;
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
      ip('link', 'add', 'eth0', 'netns', n, 'type', 'veth', 'peer', 'name', peer, 'netns', server);
      nsExec(server, 'ip', 'link', 'set', peer, 'master', 'br0');
      nsExec(server, 'ip', 'link', 'set', peer, 'up');
      nsExec(n, 'ip', 'addr', 'add', `${this.addr[host]}/24`, 'dev', 'eth0');
      nsExec(n, 'ip', 'link', 'set', 'eth0', 'up');
      nsExec(n, 'ip', 'route', 'add', 'default', 'via', this.addr.server);
    }
    return this;
  }

  down() {
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
