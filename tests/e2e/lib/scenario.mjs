// The frame of a scenario: a LAN with the server, browsers, a temp folder, failure reports
// (screenshots, page consoles, server log) and clean-up. A scenario body gets the parts and
// throws on failure; the runner prints "e2e.<name>: 1 passed, 0 failed" or the reason.
// With { topology: 'nat', nat: { udp, symmetric } } the hosts sit behind two NAT routers
// instead (lib/nat.mjs), with a coturn beside the server (env.turn); the server hands out both
// as STUN and TURN (REST credentials from a shared secret). With { wan: { rttMs, loss, ... } }
// host b (behind a NAT: its router) reaches everything through ferry-wanem (lib/net.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromium } from './browser.mjs';
import { kOut, startServer } from './ferry.mjs';
import { FirefoxBrowser } from './firefox.mjs';
import { kPrivatePeerRanges, Nat, startCoturn } from './nat.mjs';
import { Lan } from './net.mjs';

// The TURN REST secret shared by ferry-server and the test's coturn.
const kTurnSecret = 'ferry-e2e-turn-secret';

export async function runScenario(name, body, { serverArgs = [], topology = 'lan', nat = {}, wan = null } = {}) {
  if (topology !== 'lan' && topology !== 'nat') throw new Error(`unknown topology ${topology}`);
  const lan = topology === 'nat' ? new Nat({ ...nat, wan }) : new Lan(undefined, undefined, { wan });
  let turn = null;
  try {
    lan.up();
    // serverArgs may depend on the addresses: (lan) => [...].
    if (typeof serverArgs === 'function') serverArgs = serverArgs(lan);
    if (topology === 'nat') {
      // As a TURN server on the internet should be: no relaying into private ranges, except
      // the test's "public" subnet, where the peers' reflexive and relay addresses live. It is
      // more than hardening here: coturn 4.6.1 closes a whole allocation when one send from its
      // relay socket fails, and the public namespace has no route to the peers' private host
      // candidates (ENETUNREACH: "udp send: Network is unreachable", then "closed ... reason:
      // general"), which killed the relay a second after it connected.
      const pub = lan.addr.server.replace(/\.\d+$/, '');
      turn = startCoturn(lan.ns.server, lan.addr.turn, kTurnSecret,
        { deniedPeers: kPrivatePeerRanges, allowedPeers: [`${pub}.0-${pub}.255`] });
      await turn.ready;
      serverArgs = ['--stun', turn.stunUrl, '--turn', turn.url, '--turn-secret', kTurnSecret, ...serverArgs];
    }
  } catch (e) {
    console.error(`e2e.${name} FAILED: ${e.stack || e.message}`);
    if (turn) await turn.stop();
    lan.down();
    process.exit(1);
  }
  const server = startServer(lan.ns.server, lan.addr.server, 8080, serverArgs);
  const origin = `http://${lan.addr.server}:8080`;
  const browsers = [];
  const pages = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-files-'));
  let failed = false;
  const env = {
    lan, server, origin, dir, pages, turn,
    // extraOrigins: more http origins to treat as secure (e.g. a proxy's), comma-separated.
    async browser(host, extraOrigins = '') {
      const b = await launchChromium(lan, host, extraOrigins ? `${origin},${extraOrigins}` : origin);
      browsers.push(b);
      return b;
    },
    // Firefox ESR on `host` (lib/firefox.mjs): newContext({viewport}) and openClient() as for Chromium.
    async firefox(host, extraOrigins = [], extraPrefs = {}) {
      const b = await FirefoxBrowser.launch(lan.ns[host], [origin, ...extraOrigins], `firefox-${host}`, extraPrefs);
      browsers.push(b);
      return b;
    },
    file(name, bytes) {
      const p = path.join(dir, name);
      fs.writeFileSync(p, bytes);
      return p;
    },
  };
  try {
    await server.ready;
    await body(env);
    console.log(`e2e.${name}: 1 passed, 0 failed`);
  } catch (e) {
    failed = true;
    console.error(`e2e.${name} FAILED: ${e.stack || e.message}`);
    for (const p of pages) {
      try { await p.screenshot(`failure-${name}-${p.name}`); } catch { /* page gone */ }
      console.error(`--- page ${p.name}: ${await p.status().catch(() => '')}\n${p.console.slice(-30).join('\n')}`);
      console.error(`--- page ${p.name}, activity:\n${(await p.activity().catch(() => [])).slice(-40).join('\n')}`);
    }
    for (const b of browsers) {
      if (b.log) console.error(`--- ${b.name} (Firefox output)\n${b.log.slice(-60).join('\n')}`);
    }
    console.error('--- server\n' + server.output().slice(-3000));
    if (turn) console.error('--- coturn\n' + turn.log().slice(-4000));
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    server.stop();
    if (turn) {
      // Kept after every run: it is the evidence of what the relay did (allocations, peers).
      fs.mkdirSync(kOut, { recursive: true });
      fs.writeFileSync(path.join(kOut, `coturn-${name}.log`), turn.log());
      await turn.stop();
    }
    lan.down();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
