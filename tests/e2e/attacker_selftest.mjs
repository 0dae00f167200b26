// e2e.attacker_selftest: the e2e attacker's own tools, checked against the real ferry-server on
// loopback without a browser, so a security scenario that passes cannot pass because its
// attack silently did nothing. Two connections of attacker_client.mjs (a creator and a joiner)
// talk through tamper_proxy.mjs (mode attack), which drops, reorders, replays and injects their
// relay messages and injects binary frames on command; each message arrives, or not, as
// commanded.
import path from 'node:path';

import { startAgent } from './lib/agent.mjs';
import { kRoot, log, startServer } from './lib/ferry.mjs';
import { until } from './lib/flows.mjs';
import { decodeRelay, envelope, relayEnvelope, RelayKind } from './lib/wire.mjs';

const kHost = '127.0.0.1';

function check(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  log(`${what}: ${JSON.stringify(got)}`);
}

const server = startServer(null, kHost, 0, ['--signal-only']);
let proxy = null;
let client = null;
let failed = false;
try {
  await server.ready;
  const serverPort = server.output().match(/event=listening \S+ port=(\d+)/)[1];
  proxy = await startAgent(null, path.join(kRoot, 'tests/e2e/lib/tamper_proxy.mjs'),
    [kHost, '0', kHost, serverPort, 'attack'], { ready: /listening/, name: 'proxy' });
  const url = `ws://${kHost}:${proxy.output().match(/listening on \S+:(\d+)/)[1]}/ws`;
  client = await startAgent(null, path.join(kRoot, 'tests/e2e/lib/attacker_client.mjs'), [],
    { ready: /attacker ready/, name: 'attacker' });
  const cmd = (op, args) => client.command(op, args);

  const a = await cmd('connect', { url });
  await cmd('send', { conn: a, text: envelope('create') });
  const created = (await cmd('next', { conn: a, types: ['created'] })).env;
  const b = await cmd('connect', { url });
  await cmd('send', { conn: b, text: envelope('join', { room: created.room, token: created.token }) });
  if (!(await cmd('next', { conn: b, types: ['joined'] })).env) throw new Error('the joiner did not join');
  await cmd('next', { conn: a, types: ['peer_joined'] });
  const roles = (await proxy.command('connections')).map((c) => c.role);
  check('the proxy tells the connections apart', roles, ['creator', 'joiner']);

  // B sends sealed-kind relays numbered n; A reads the numbers that arrive.
  const send = (n) => cmd('send', { conn: b, text: relayEnvelope(RelayKind.sealed, Buffer.from([n])) });
  const receive = async (count) => {
    const got = [];
    for (let i = 0; i < count; i++) {
      const r = await cmd('next', { conn: a, types: ['relay'] });
      if (!r.env) throw new Error(`A got no relay: ${JSON.stringify(r)}`);
      const relay = decodeRelay(r.env.payload);
      got.push(relay.kind === RelayKind.sealed ? relay.body[0] : `kind ${relay.kind}: ${relay.body.toString('hex')}`);
    }
    return got;
  };

  const dropped = proxy.command('drop', { role: 'joiner', dir: 'up', kind: RelayKind.sealed });
  await send(1);
  await send(2);
  check('drop: 1 is swallowed, 2 arrives', await receive(1), [2]);
  check('drop: the proxy hands over what it swallowed', await dropped, ['01']);

  const reordered = proxy.command('reorder', { role: 'joiner', dir: 'up', kind: RelayKind.sealed, count: 2 });
  await send(3);
  await send(4);
  check('reorder: 3 and 4 arrive as 4, 3', await receive(2), [4, 3]);
  await reordered;

  await proxy.command('replay', { role: 'joiner', dir: 'up', kind: RelayKind.sealed, nth: -1 });
  check('replay: the last one up (4) arrives again', await receive(1), [4]);

  await proxy.command('inject', { role: 'creator', toward: 'client', kind: RelayKind.hello, bodyHex: '02' });
  check('inject: a HELLO toward the creator, as if from the server', await receive(1), ['kind 1: 02']);

  const seen = await proxy.command('wait_relay', { role: 'creator', dir: 'down', kind: RelayKind.sealed, from: 0 });
  check('wait_relay: the first sealed relay the creator got', seen, { index: 0, bodyHex: '02' });

  await proxy.command('forge_frames', { role: 'creator', count: 4, firstId: 7 });
  await until('the 4 forged frames at A', async () => (await cmd('binary_count', { conn: a })) === 4, { timeout: 5000 });
  log('forge_frames: 4 binary frames reached the creator');
  console.log('e2e.attacker_selftest: 1 passed, 0 failed');
} catch (e) {
  failed = true;
  console.error(`e2e.attacker_selftest FAILED: ${e.stack || e.message}\n--- server\n${server.output().slice(-2000)}` +
    (proxy ? `\n--- proxy\n${proxy.output()}` : '') + (client ? `\n--- attacker\n${client.output()}` : ''));
} finally {
  if (client) await client.stop();
  if (proxy) await proxy.stop();
  server.stop();
}
process.exit(failed ? 1 : 0);
