// e2e.nginx_proxy: Debian's nginx in front of ferry-server, with the project's own
// deploy/nginx/ferry.conf, as a deployment has it. nginx terminates TLS with a certificate from a
// test CA made now (the browsers trust that CA through their NSS database, nothing is ignored),
// and upgrades /ws to ferry-server, which listens on 127.0.0.1 only (nothing reaches it but nginx)
// with --trust-proxy 127.0.0.1. Two Chromiums transfer through it twice: over a direct
// DataChannel (signalling through nginx), then with no UDP at all, through the server's data
// relay (every frame through nginx). SHA-256 both times. With --trust-proxy the server sees each
// client's own address: A's room is logged under host a's address, and a client on host a that
// opens connections with forged X-Forwarded-For headers runs into host a's connection limit
// (logged under host a's address), while host b still gets in. nginx's access log keeps join
// paths without their tokens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startAttacker, wsUrl } from './lib/attack.mjs';
import { kStepTimeoutMs, log, randomBytes } from './lib/ferry.mjs';
import { expectSha, offer, onlyTcpToServer, openLink } from './lib/flows.mjs';
import { makeTestCa, renderFerryConf, startNginx, testValues, trustInNss, writeNginxConf } from './lib/nginx.mjs';
import { envelope } from './lib/wire.mjs';
import { runScenario } from './lib/scenario.mjs';

// Per-address WebSocket connections (--max-conns-per-ip): low, so that one host reaches it with
// a few connections of its own while the other host still has room.
const kMaxConnsPerIp = 4;
const kDirectBytes = 8 * 1000 * 1000;
const kRelayBytes = 4 * 1000 * 1000;
const kHttpsPort = 443;  // deploy/nginx/ferry.conf's own; the server namespace is the test's

await runScenario('nginx_proxy', async (env) => {
  const { lan } = env;
  // Its own folder, which nginx's workers (nobody) may pass through to their temp folders.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-nginx-'));
  fs.chmodSync(dir, 0o711);
  const certs = makeTestCa(path.join(dir, 'tls'), { ips: [lan.addr.server] });
  // Chromium reads its trust store from $HOME/.pki/nssdb; node (the attacker client) takes
  // NODE_EXTRA_CA_CERTS. Both reach the processes this test starts.
  process.env.HOME = trustInNss(path.join(dir, 'home'), certs.ca);
  process.env.NODE_EXTRA_CA_CERTS = certs.ca;
  // The upstream stays the file's own 127.0.0.1:8080, where this ferry-server listens.
  const conf = writeNginxConf(dir, renderFerryConf(testValues(dir, certs)));
  const nginx = await startNginx(lan.ns.server, dir, conf, { host: lan.addr.server, port: kHttpsPort });
  const origin = `https://${lan.addr.server}`;
  let attackers = [];
  try {
    // 1. Direct: the page, the signalling and the WebSocket upgrade through nginx.
    const direct = randomBytes(kDirectBytes);
    const one = await offer(env, [env.file('through-nginx.bin', direct)], { origin });
    const { b, browser: bBrowser } = await openLink(env, one.link, { origin });
    if (!(await b.page.evaluate(() => window.isSecureContext))) throw new Error('the page through nginx is not a secure context');
    await b.waitStatus(/Connection: direct/, 2 * kStepTimeoutMs);
    await expectSha(b, 'save-1-0', direct, 'direct transfer, signalling through nginx');
    const created = env.server.output().match(/event=room_created .*?ip=(\S+)/);
    if (!created || created[1] !== lan.addr.a) {
      throw new Error(`the room was created by ${created && created[1]}, not host a (${lan.addr.a}): --trust-proxy did not give the client's address`);
    }
    log(`ferry-server logged the room's creator as ${created[1]} (host a), not nginx's 127.0.0.1`);
    const token = new URL(one.link).searchParams.get('t');
    const access = nginx.accessLog();
    if (!access.includes('GET /j/')) throw new Error(`nginx's access log has no join request:\n${access.slice(-2000)}`);
    if (access.includes(token)) throw new Error('nginx\'s access log holds the join token');
    log('nginx logged the join path without its token');
    await one.browser.close();
    await bBrowser.close();

    // 2. No UDP at all: WebRTC cannot connect, the sealed frames go through the server's relay,
    // and so through nginx's WebSocket proxy.
    onlyTcpToServer(env, 'a');
    onlyTcpToServer(env, 'b');
    const relayed = randomBytes(kRelayBytes);
    const two = await offer(env, [env.file('relayed-through-nginx.bin', relayed)], { origin });
    const { b: b2 } = await openLink(env, two.link, { origin });
    await b2.waitStatus(/Connection: relayed by server/, 3 * kStepTimeoutMs);
    await two.a.waitStatus(/Connection: relayed by server/);
    await expectSha(b2, 'save-1-0', relayed, 'transfer through the server relay behind nginx');

    // 3. The limits count each host, not nginx. Host a (whose page holds a connection or two)
    // opens more, each claiming another address in X-Forwarded-For: nginx appends the real
    // one, which is what ferry-server believes, so host a runs into its limit...
    const fromA = await startAttacker(env, lan.ns.a);
    attackers.push(fromA);
    let refusedAt = 0;
    for (let i = 1; i <= kMaxConnsPerIp + 1 && !refusedAt; i++) {
      const conn = await fromA.command('connect', { url: wsUrl(origin), headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
      await fromA.command('send', { conn, text: envelope('create') });
      const got = await fromA.command('next', { conn, types: ['created', 'error'], timeoutMs: kStepTimeoutMs });
      if (got.closed && got.closed.code === 4003) refusedAt = i;
      else if (!got.env || got.env.type !== 'created') throw new Error(`host a's connection ${i}: ${JSON.stringify(got)}`);
    }
    if (!refusedAt) throw new Error(`host a opened ${kMaxConnsPerIp + 1} connections through nginx: the limit of ${kMaxConnsPerIp} per address did not hold`);
    const refusal = env.server.output().match(/event=refused reason=connections_per_ip ip=(\S+)/);
    if (!refusal || refusal[1] !== lan.addr.a) throw new Error(`the refusal was logged for ${refusal && refusal[1]}, not ${lan.addr.a}`);
    log(`host a refused with 4003 (connections_per_ip) at its connection ${refusedAt} through nginx, logged as ${refusal[1]}; the forged X-Forwarded-For entries were not believed`);
    // ...while host b, behind the same nginx, still gets in.
    const fromB = await startAttacker(env, lan.ns.b);
    attackers.push(fromB);
    const conn = await fromB.command('connect', { url: wsUrl(origin) });
    await fromB.command('send', { conn, text: envelope('create') });
    const got = await fromB.command('next', { conn, types: ['created', 'error'], timeoutMs: kStepTimeoutMs });
    if (!got.env || got.env.type !== 'created') throw new Error(`host b was refused too: ${JSON.stringify(got)}`);
    log('host b creates a room through the same nginx: its budget is its own');
  } catch (e) {
    console.error(`--- nginx error log\n${nginx.errorLog().slice(-3000)}`);
    throw e;
  } finally {
    for (const a of attackers) await a.stop();
    attackers = [];
    await nginx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, { serverArgs: ['--bind', '127.0.0.1', '--trust-proxy', '127.0.0.1', '--max-conns-per-ip', String(kMaxConnsPerIp)] });
