// e2e.turn_relay: A and B behind two NAT routers that drop every UDP packet not to or from the
// TURN server (lib/nat.mjs, udp 'turn-only'): host and reflexive pairs fail, only a relay through
// coturn works. The file arrives intact, the client says "Connection: relayed by TURN", getStats
// shows a relay candidate in each selected pair, and coturn's own log shows that the relay
// carrying the data was allocated with the REST username ferry-server issued to that browser:
// proof that the server's credentials were the ones used.
import { log, randomBytes } from './lib/ferry.mjs';
import { describePair, transferByLink } from './lib/link_transfer.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('turn_relay', async (env) => {
  log(env.lan.describe());
  const { a, b, connect, pairs } = await transferByLink(env, { name: 'relayed.bin', bytes: randomBytes(3 * 1000 * 1000 + 11) });
  for (const p of [a, b]) await p.waitStatus(/Connection: relayed by TURN\./);
  const coturnLog = env.turn.log().split('\n');
  const issued = {};
  for (const side of ['a', 'b']) {
    const pair = pairs[side];
    log(`${side.toUpperCase()} selected pair: ${describePair(pair)}`);
    if (!pair) throw new Error(`${side}: no selected candidate pair in getStats`);
    if (pair.local.type !== 'relay' && pair.remote.type !== 'relay') throw new Error(`${side}: not relayed: ${describePair(pair)}`);
    const turn = pair.iceServers.find((s) => [].concat(s.urls).some((u) => u.startsWith('turn:')));
    if (!turn || !turn.username) throw new Error(`${side}: the page got no TURN credentials from the server`);
    issued[side] = turn.username;
  }
  // The relay that carries the data is the local relay candidate of one side. coturn logs
  //   IPv4. Local relay addr: <address:port>
  //   session <id>: new, realm=<ferry.test>, username=<USER>, lifetime=600
  //   session <id>: realm <ferry.test> user <USER>: incoming packet ALLOCATE processed, success
  // and USER must be the REST username ferry-server issued to that side.
  const side = pairs.a.local.type === 'relay' ? 'a' : 'b';
  const relay = `${pairs[side].local.address}:${pairs[side].local.port}`;
  const at = coturnLog.findIndex((l) => l.endsWith(`Local relay addr: ${relay}`));
  if (at < 0) throw new Error(`coturn's log has no allocation of the relay ${relay}`);
  const user = (coturnLog.slice(at, at + 5).join('\n').match(/new, realm=<[^>]*>, username=<([^>]*)>/) || [])[1];
  if (user !== issued[side]) throw new Error(`the relay ${relay} was allocated by user ${user}, not by ${issued[side]} that the server issued to ${side}`);
  if (!coturnLog.some((l) => l.includes(`user <${user}>: incoming packet ALLOCATE processed, success`))) {
    throw new Error(`coturn's log shows no successful ALLOCATE for ${user}`);
  }
  log(`the data went through relay ${relay}, allocated by ${side.toUpperCase()} as ${user}, the REST username ferry-server issued`);
  log(`connect time through TURN: ${connect.totalMs} ms from opening the link, ${connect.afterLoadMs} ms after the page was ready`);
  await a.screenshot('turn-relay-session-A');
  await b.screenshot('turn-relay-session-B');
}, { topology: 'nat', nat: { udp: 'turn-only' } });
