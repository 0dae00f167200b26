// e2e.nat_stun: A and B sit behind two different NAT routers (lib/nat.mjs, UDP open). Neither
// can reach the other's private address, so the only direct way is through the reflexive
// addresses both learn from the STUN server: a file of a few MB goes A -> B, its SHA-256
// matches, the client says "Connection: direct through NAT", and the browsers' own getStats
// agree: each selected pair has a srflx/prflx candidate at the other router's public address,
// and no relay.
import { log, randomBytes } from './lib/ferry.mjs';
import { describePair, transferByLink } from './lib/link_transfer.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('nat_stun', async (env) => {
  log(env.lan.describe());
  const { a, b, connect, pairs } = await transferByLink(env, { name: 'through the NAT.bin', bytes: randomBytes(4 * 1000 * 1000 + 7) });
  for (const p of [a, b]) await p.waitStatus(/Connection: direct through NAT\./);
  for (const [side, otherRouter] of [['a', env.lan.addr.rb], ['b', env.lan.addr.ra]]) {
    const pair = pairs[side];
    log(`${side.toUpperCase()} selected pair: ${describePair(pair)}`);
    if (!pair) throw new Error(`${side}: no selected candidate pair in getStats`);
    const types = [pair.local.type, pair.remote.type];
    if (types.includes('relay')) throw new Error(`${side}: the pair is relayed, not direct: ${describePair(pair)}`);
    if (!types.includes('srflx') && !types.includes('prflx')) throw new Error(`${side}: no reflexive candidate: ${describePair(pair)}`);
    if (pair.remote.address !== otherRouter) {
      throw new Error(`${side}: the remote end is ${pair.remote.address}, not the other router ${otherRouter}`);
    }
  }
  log(`connect time through NAT (STUN): ${connect.totalMs} ms from opening the link, ${connect.afterLoadMs} ms after the page was ready`);
  await a.screenshot('nat-stun-session-A');
}, { topology: 'nat', nat: { udp: 'open' } });
