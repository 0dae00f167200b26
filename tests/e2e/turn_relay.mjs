// e2e.turn_relay: A and B behind two NAT routers that drop every UDP packet not to or from the
// TURN server (lib/nat.mjs, udp 'turn-only'): host and reflexive pairs fail, only a relay through
// coturn works. The file arrives intact, the client says "Connection: relayed by TURN", getStats
// shows a relay candidate in each selected pair, and coturn's own log shows allocations for the
// REST usernames ferry-server issued: proof that the server's credentials were the ones used.
import { log, randomBytes } from './lib/ferry.mjs';
import { describePair, transferByLink } from './lib/link_transfer.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('turn_relay', async (env) => {
  log(env.lan.describe());
  const { a, b, connect, pairs } = await transferByLink(env, { name: 'relayed.bin', bytes: randomBytes(3 * 1000 * 1000 + 11) });
  for (const p of [a, b]) await p.waitStatus(/Connection: relayed by TURN\./);
  const coturnLog = env.turn.log();
  for (const side of ['a', 'b']) {
    const pair = pairs[side];
    log(`${side.toUpperCase()} selected pair: ${describePair(pair)}`);
    if (!pair) throw new Error(`${side}: no selected candidate pair in getStats`);
    if (pair.local.type !== 'relay' && pair.remote.type !== 'relay') throw new Error(`${side}: not relayed: ${describePair(pair)}`);
    const turn = pair.iceServers.find((s) => [].concat(s.urls).some((u) => u.startsWith('turn:')));
    if (!turn || !turn.username) throw new Error(`${side}: the page got no TURN credentials from the server`);
    // coturn logs: session ...: realm <ferry.test> user <USERNAME>: incoming packet ALLOCATE processed, success
    const allocated = coturnLog.split('\n').some((l) => l.includes(`user <${turn.username}>`) && /ALLOCATE processed, success/.test(l));
    if (!allocated) throw new Error(`${side}: coturn's log shows no allocation for user ${turn.username}`);
    log(`${side.toUpperCase()}: coturn allocated for the server-issued user ${turn.username}`);
  }
  log(`connect time through TURN: ${connect.totalMs} ms from opening the link, ${connect.afterLoadMs} ms after the page was ready`);
  await a.screenshot('turn-relay-session-A');
  await b.screenshot('turn-relay-session-B');
}, { topology: 'nat', nat: { udp: 'turn-only' } });
