// Test hosts behind two NAT routers, and a "public" network holding ferry-server and coturn:
// everything in network namespaces made by the test itself.
//
//   [host a 192.168.N.2] --eth0/lan-- [router ra  lan 192.168.N.1  wan 10.232.N.2] --+
//                                                                                     br0 in [public 10.232.N.1]
//   [host b 172.16.N.2]  --eth0/lan-- [router rb  lan 172.16.N.1   wan 10.232.N.3] --+   ferry-server :8080
//                                                                                         coturn :3478 (UDP+TCP)
//
// Each router forwards (net.ipv4.ip_forward=1 in its namespace), masquerades what leaves its
// wan side (iptables -t nat -A POSTROUTING -o wan -j MASQUERADE) and, like a home router's
// firewall, drops unsolicited packets to itself on wan (see up()). Neither the routers nor the
// public namespace has a default route, so a private address of one side never routes to the
// other: the only ways between a and b are through the routers' public addresses (STUN
// reflexive candidates) or through coturn (relay candidates).
//
// Modes (option udp):
//   'open'       plain MASQUERADE. Linux keeps the source port when it is free, so the mapping
//                is endpoint-independent and the filtering (conntrack) address-and-port
//                dependent: a "port-restricted cone" NAT, which STUN hole punching crosses.
//   'turn-only'  the routers' FORWARD chain also drops every UDP packet that does not go to or
//                come from coturn's address: host and srflx pairs fail, only TURN relay works.
// Option wan: router rb's public link is ferry-wanem instead of a veth (delay, loss, rate cap).
// Option symmetric: MASQUERADE --random, a new random port per destination (a symmetric NAT:
// the reflexive address learnt from coturn is useless to the peer; with udp 'open' two such
// routers end up "relayed by TURN", through a prflx candidate to the peer's relay).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Lan, nsExec, ip, uniqueSubnet } from './net.mjs';

export class Nat extends Lan {
  // wan: as Lan's (lib/net.mjs), on router rb's public link (host 'b'): b and its router are
  // far from everything else.
  constructor({ udp = 'open', symmetric = false, wan = null } = {}, tag = `fn${process.pid}`, subnet = uniqueSubnet()) {
    super(tag, subnet, { wan });
    if (this.wan && this.wan.host !== 'b') throw new Error('a NAT topology puts the wan link on host b only');
    if (udp !== 'open' && udp !== 'turn-only') throw new Error(`unknown nat udp mode ${udp}`);
    this.udp = udp;
    this.symmetric = symmetric;
    this.ns = { server: `${tag}-p`, ra: `${tag}-ra`, rb: `${tag}-rb`, a: `${tag}-a`, b: `${tag}-b` };
    const n = subnet;
    this.addr = {
      server: `10.232.${n}.1`,  // ferry-server and coturn share the public host
      turn: `10.232.${n}.1`,
      ra: `10.232.${n}.2`, rb: `10.232.${n}.3`,  // the routers' public (wan) addresses
      raLan: `192.168.${n}.1`, rbLan: `172.16.${n}.1`,
      a: `192.168.${n}.2`, b: `172.16.${n}.2`,
    };
  }

  up() {
    const { server, ra, rb, a, b } = this.ns;
    for (const n of [server, ra, rb, a, b]) {
      ip('netns', 'add', n);
      this.made.push(n);
      nsExec(n, 'ip', 'link', 'set', 'lo', 'up');
    }
    nsExec(server, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    nsExec(server, 'ip', 'addr', 'add', `${this.addr.server}/24`, 'dev', 'br0');
    nsExec(server, 'ip', 'link', 'set', 'br0', 'up');
    for (const [router, host] of [['ra', 'a'], ['rb', 'b']]) {
      const r = this.ns[router];
      const h = this.ns[host];
      // Public side: the router's wan end, its peer enslaved to the public bridge.
      if (this.wan && host === this.wan.host) this.startWan(r, `p${router}`, 'wan');
      else ip('link', 'add', 'wan', 'netns', r, 'type', 'veth', 'peer', 'name', `p${router}`, 'netns', server);
      nsExec(server, 'ip', 'link', 'set', `p${router}`, 'master', 'br0');
      nsExec(server, 'ip', 'link', 'set', `p${router}`, 'up');
      nsExec(r, 'ip', 'addr', 'add', `${this.addr[router]}/24`, 'dev', 'wan');
      nsExec(r, 'ip', 'link', 'set', 'wan', 'up');
      // Private side: the host's eth0 to the router's lan end.
      ip('link', 'add', 'eth0', 'netns', h, 'type', 'veth', 'peer', 'name', 'lan', 'netns', r);
      nsExec(r, 'ip', 'addr', 'add', `${this.addr[`${router}Lan`]}/24`, 'dev', 'lan');
      nsExec(r, 'ip', 'link', 'set', 'lan', 'up');
      nsExec(h, 'ip', 'addr', 'add', `${this.addr[host]}/24`, 'dev', 'eth0');
      nsExec(h, 'ip', 'link', 'set', 'eth0', 'up');
      nsExec(h, 'ip', 'route', 'add', 'default', 'via', this.addr[`${router}Lan`]);
      // The router itself.
      nsExec(r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
      nsExec(r, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE',
        ...(this.symmetric ? ['--random'] : []));
      // A home router's WAN firewall: unsolicited packets to the router itself are dropped. It
      // matters for hole punching: without it, the peer's first check (arriving before our own
      // went out) is delivered locally and leaves a conntrack entry RB:q <- RA:p behind; our
      // own check to RA:p would then clash with it and MASQUERADE would pick another source
      // port, so the reflexive address the peer knows stops working. Dropped in filter/INPUT,
      // the packet never gets its conntrack entry confirmed.
      nsExec(r, 'iptables', '-A', 'INPUT', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
      if (this.udp === 'turn-only') {
        nsExec(r, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-d', this.addr.turn, '-j', 'ACCEPT');
        nsExec(r, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-s', this.addr.turn, '-j', 'ACCEPT');
        nsExec(r, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-j', 'DROP');
      }
    }
    this.checkIsolation();
    return this;
  }

  // The topology's promise, checked rather than assumed: each host reaches the public host,
  // and neither reaches the other's private address (TCP to a closed port: "refused" would
  // mean the packet got there).
  checkIsolation() {
    const probe = (ns, addr, port) => spawnSync('ip', ['netns', 'exec', ns, 'timeout', '5', 'bash', '-c',
      `echo > /dev/tcp/${addr}/${port}`], { encoding: 'utf8' });
    for (const [host, other] of [['a', 'b'], ['b', 'a']]) {
      const pub = probe(this.ns[host], this.addr.server, 9);
      if (!/refused/i.test(pub.stderr)) {
        throw new Error(`host ${host} does not reach the public host ${this.addr.server}: ${pub.stderr.trim()}`);
      }
      const priv = probe(this.ns[host], this.addr[other], 9);
      if (priv.status === 0 || /refused/i.test(priv.stderr)) {
        throw new Error(`host ${host} reaches ${other}'s private address ${this.addr[other]}: the NAT leaks`);
      }
    }
  }

  describe() {
    return `NAT (udp ${this.udp}${this.symmetric ? ', symmetric' : ''}): a ${this.addr.a} behind ${this.addr.ra}, ` +
      `b ${this.addr.b} behind ${this.addr.rb}, server+coturn ${this.addr.server}`;
  }
}

// Port range coturn relays from; small, since a test makes a handful of allocations.
const kTurnRelayMinPort = 49160;
const kTurnRelayMaxPort = 49260;

// Starts coturn in `ns` on `addr`:3478 with TURN REST credentials (use-auth-secret), no TLS, no
// CLI. Resolves `ready` once both its UDP and TCP listeners are open. Stopped by its own PID
// (`ip netns exec` execs the program). Peer ranges ("lo-hi"): deniedPeers are refused (403),
// allowedPeers override them.
export const kPrivatePeerRanges = ['10.0.0.0-10.255.255.255', '172.16.0.0-172.31.255.255', '192.168.0.0-192.168.255.255'];
export function startCoturn(ns, addr, secret, { port = 3478, allowedPeers = [], deniedPeers = [], realm = 'ferry.test' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-turn-'));
  const logFile = path.join(dir, 'turn.log');
  const args = ['netns', 'exec', ns, 'turnserver', '-n',
    '--listening-ip', addr, '--relay-ip', addr, '--listening-port', String(port),
    '--min-port', String(kTurnRelayMinPort), '--max-port', String(kTurnRelayMaxPort),
    '--use-auth-secret', '--static-auth-secret', secret, '--realm', realm,
    '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers',
    '--pidfile', path.join(dir, 'turn.pid'), '--userdb', path.join(dir, 'turndb'),
    '--log-file', logFile, '--simple-log', '--verbose',
    ...deniedPeers.flatMap((r) => ['--denied-peer-ip', r]),
    ...allowedPeers.flatMap((r) => ['--allowed-peer-ip', r])];
  // Its stdout repeats the log file; stderr has what the log lacks (perror lines).
  const proc = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d) => { out += d; });
  const read = () => {
    try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; }
  };
  const ready = new Promise((resolve, reject) => {
    const check = () => {
      const text = read();
      // coturn 4.6.1 writes "UDP listener opened on: a:p" and "TCP listener opened on : a:p".
      if (text.includes(`UDP listener opened on: ${addr}:${port}`) &&
          text.includes(`TCP listener opened on : ${addr}:${port}`)) {
        done();
        resolve();
      }
    };
    // coturn writes its log file itself; watch the folder for it and bound the wait.
    const watcher = fs.watch(dir, check);
    const timer = setTimeout(() => { done(); reject(new Error('coturn did not start:\n' + out + read())); }, 15000);
    const onExit = (code) => { done(); reject(new Error(`coturn exited (${code}):\n${out}${read()}`)); };
    proc.on('exit', onExit);
    function done() {
      watcher.close();
      clearTimeout(timer);
      proc.off('exit', onExit);
    }
    check();
  });
  return {
    proc, ready, dir,
    url: `turn:${addr}:${port}?transport=udp`,
    stunUrl: `stun:${addr}:${port}`,
    log: () => read() + (out ? `\n--- coturn's stdout and stderr\n${out}` : ''),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
