// e2e.split_origin: the deployment that keeps the signalling server from serving the page's code.
// The built client is on a static host of its own (another address and port: another origin;
// lib/static_host.mjs fills in the shell page's ferry-signal setting and sends a CSP that allows
// that signalling server); ferry-server runs with --signal-only --allowed-origin <static origin>.
// Two Chromiums load the page from the static origin, the link points there, and a file goes
// through (SHA-256). The signalling server serves no page, accepts a /ws upgrade from the
// static origin and refuses one from any other Origin with 403.
import path from 'node:path';

import { startAgent } from './lib/agent.mjs';
import { startAttacker, wsUrl } from './lib/attack.mjs';
import { kRoot, kStepTimeoutMs, kWebRoot, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { offer, openLink } from './lib/flows.mjs';
import { nsExec } from './lib/net.mjs';
import { runScenario } from './lib/scenario.mjs';

const kStaticHostNumber = 9;  // the static host's address in the LAN: 10.231.N.9
const kStaticPort = 8090;
const staticAddr = (lan) => lan.addr.server.replace(/\.1$/, `.${kStaticHostNumber}`);
const staticOrigin = (lan) => `http://${staticAddr(lan)}:${kStaticPort}`;

await runScenario('split_origin', async (env) => {
  const origin = staticOrigin(env.lan);
  // A second address on the server's namespace: the static host is a machine of its own.
  nsExec(env.lan.ns.server, 'ip', 'addr', 'add', `${staticAddr(env.lan)}/24`, 'dev', 'br0');
  const host = await startAgent(env.lan.ns.server, path.join(kRoot, 'tests/e2e/lib/static_host.mjs'),
    [staticAddr(env.lan), String(kStaticPort), kWebRoot, wsUrl(env.origin)], { ready: /listening/, name: 'static host' });
  const attacker = await startAttacker(env);
  try {
    const content = randomBytes(500_000);
    const { link } = await offer(env, [env.file('split.bin', content)], { origin });
    log('the link points at the static origin:', link.replace(/\/j\/.*/, '/j/<room>…'));
    const { b } = await openLink(env, link, { origin });
    const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
    if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch');
    log('file transferred between two pages of the static origin through the signal-only server; SHA-256 matches');

    const probes = {};
    for (const [name, from] of [['static', origin], ['evil', 'https://evil.example'], ['server', env.origin]]) {
      probes[name] = await attacker.command('upgrade_status', { url: wsUrl(env.origin), origin: from });
    }
    log('/ws upgrade status by Origin:', JSON.stringify(probes));
    if (probes.static !== 101) throw new Error(`the static origin's upgrade was refused: ${probes.static}`);
    if (probes.evil !== 403) throw new Error(`an upgrade with Origin https://evil.example got ${probes.evil}, not 403`);
    const page = await attacker.command('http_status', { url: env.origin + '/' });
    if (page === 200) throw new Error('the signal-only server still serves the page');
    log(`GET / on the signal-only server: ${page}`);
  } finally {
    await attacker.stop();
    await host.stop();
  }
}, { serverArgs: (lan) => ['--signal-only', '--allowed-origin', staticOrigin(lan)] });
