// e2e.wan_matrix.<cell>: the connection matrix's far row. Host b (behind its router, where
// there is one) reaches everything through ferry-wanem at 150 ms round trip with 1 % loss each
// way, and a file goes A -> B by link over each kind of path; SHA-256 matches and the client
// names the path it took:
//
//   nat_stun   two NAT routers, UDP open: direct through NAT (STUN reflexive candidates)
//   turn_only  two NAT routers that pass UDP only to and from coturn: relayed by TURN
//   no_udp     the LAN, each host allowed nothing but TCP to the server: relayed by server
//
// The near row (0 ms) is e2e.lan_transfer, e2e.nat_stun, e2e.turn_relay and e2e.server_relay;
// the far LAN cell is e2e.wan_transfer.
import { log, randomBytes } from './lib/ferry.mjs';
import { onlyTcpToServer } from './lib/flows.mjs';
import { transferByLink } from './lib/link_transfer.mjs';
import { runScenario } from './lib/scenario.mjs';

const kWan = { rttMs: 150, loss: 0.01, jitterMs: 2, seed: 9 };
// About 15 s at the 0.1 MB/s one association reaches at this loss (bench/wan).
const kBytes = 1500 * 1000 + 3;
const kCells = {
  // Far and direct: striped over lanes (app/lanes.h); never over TURN or the server's relay.
  nat_stun: { options: { topology: 'nat', nat: { udp: 'open' } }, path: /Connection: direct through NAT, [234] lanes\./ },
  turn_only: { options: { topology: 'nat', nat: { udp: 'turn-only' } }, path: /Connection: relayed by TURN\./ },
  no_udp: { options: {}, path: /Connection: relayed by server\./, before: (env) => { onlyTcpToServer(env, 'a'); onlyTcpToServer(env, 'b'); } },
};

const name = process.argv[2];
const cell = kCells[name];
if (!cell) {
  console.error(`usage: wan_matrix.mjs ${Object.keys(kCells).join('|')}`);
  process.exit(2);
}
await runScenario(`wan_matrix.${name}`, async (env) => {
  log(env.lan.describe ? env.lan.describe() : 'LAN', `with host b at ${kWan.rttMs} ms RTT, ${kWan.loss * 100} % loss each way`);
  if (cell.before) cell.before(env);
  const { a, b, connect } = await transferByLink(env, { name: `far ${name}.bin`, bytes: randomBytes(kBytes) });
  for (const p of [a, b]) await p.waitStatus(cell.path);
  log(`${name}: connected ${connect.afterLoadMs} ms after the page was ready; ${(await b.status()).match(/Connection: [^.]*/)[0]}`);
  await b.screenshot(`wan-matrix-${name}-B`);
  const counters = await env.lan.stopWan();
  log(`emulator: ${JSON.stringify(counters)}`);
  if (!counters || counters.a_to_b.lost + counters.b_to_a.lost === 0) throw new Error('the emulator dropped nothing: no loss was applied');
}, { ...cell.options, wan: kWan });
