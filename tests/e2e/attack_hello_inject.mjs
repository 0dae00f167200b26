// e2e.attack_hello_inject: the signalling server is malicious. In the middle of a 24 MB transfer
// A->B, a proxy in front of the creator (A) injects one forged HELLO toward A, shaped like B's
// real one (same method and length, fresh bytes), swallows A's answering share so B never sees
// it, and answers with a share of its own, as a server trying to take B's place would. A must
// not drop its keys, its DataChannel or its transfer: the file arrives whole (SHA-256), each
// browser made one RTCPeerConnection only, A put no frame on the server's relay, neither screen
// says the verification words changed, and A sent the file once (no resend to a new peer).
import { log, randomBytes, sha256 } from './lib/ferry.mjs';
import {
  activity, limitRate, offer, openLink, percent, saveUnless, sentBytes, startProxy, waitPercent,
} from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';
import { bogusShareB, HandshakeType, RelayKind } from './lib/wire.mjs';

const kBytes = 24 * 1000 * 1000;
// Where the attack lands: well inside the transfer (A's bandwidth is capped so it lasts).
const kAttackAtPercent = 20;
// How long A gets to answer the forged HELLO with a share; a client that ignores it is fine too.
const kShareWaitMs = 10_000;
// Frame and manifest overhead per 64 KiB chunk, and what a correct sender may send on top of
// the file: nothing resent (no new peer asked for it).
const kOverheadPerChunk = 63;
const kChunkBytes = 65536;
// The control frames (manifest, file end, have-map, pause and resume): a few hundred bytes, far
// below one chunk, so a single chunk sent twice still shows.
const kControlSlackBytes = 4096;

// What the client logs when it drops a live session: the data channel gone, or (before issue 9)
// a new handshake that threw the keys away at once. A new handshake *beside* the live keys is
// logged too ("... the current keys stay until it confirms"), and is fine.
const kDisturbed = /channel closed|^The other device is securing the connection again\.?$/i;

async function peerConnections(page) {
  return page.page.evaluate(() => window.ferryTestPcs.length);
}

function verificationLines(lines) {
  return lines.filter((l) => /verification words/i.test(l));
}

await runScenario('attack_hello_inject', async (env) => {
  const content = randomBytes(kBytes);
  limitRate(env.lan.ns.a, '48mbit');
  const proxy = await startProxy(env, 'attack');
  try {
    const { a, link } = await offer(env, [env.file('under-attack.bin', content)], { origin: proxy.origin, track: true });
    // Only A talks through the proxy; B goes to the server directly.
    const { b } = await openLink(env, link.replace(proxy.origin, env.origin), { track: true });
    await waitPercent(b, kAttackAtPercent);
    const at = await percent(b);

    const captured = proxy.command('drop', { role: 'creator', dir: 'up', kind: RelayKind.handshake, sub: HandshakeType.shareA }, kShareWaitMs);
    const hello = await proxy.command('forge_hello', { role: 'creator' });
    log(`forged a HELLO (a ${hello.length / 2}-byte body) toward A with B at ${at}%`);
    let answeredWith = 'no share (A ignored the HELLO)';
    try {
      const [shareA] = await captured;
      const shareB = bogusShareB(Buffer.from(shareA, 'hex')[0]);
      await proxy.command('inject', { role: 'creator', toward: 'client', kind: RelayKind.handshake, bodyHex: shareB.toString('hex') });
      answeredWith = `a ${shareA.length / 2}-byte share, which the proxy kept from B and answered with a bogus one`;
    } catch (e) {
      if (!/no answer/.test(e.message)) throw e;
    }
    log(`A answered with ${answeredWith}`);

    // Fails at once if A says it dropped what it had.
    const got = await saveUnless(b, 'save-1-0', a, kDisturbed);
    if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the forged HELLO');
    log('the transfer completed; SHA-256 matches');

    const pcs = { a: await peerConnections(a), b: await peerConnections(b) };
    if (pcs.a !== 1 || pcs.b !== 1) throw new Error(`peer connections made: A ${pcs.a}, B ${pcs.b} (the forged HELLO tore one down)`);
    const logA = await activity(a);
    const logB = await activity(b);
    const closed = logA.concat(logB).filter((l) => kDisturbed.test(l));
    if (closed.length) throw new Error('the live session was disturbed: ' + JSON.stringify(closed));
    for (const [name, lines] of [['A', logA], ['B', logB]]) {
      const v = verificationLines(lines);
      if (v.length !== 1 || /changed/i.test(v[0])) throw new Error(`${name}'s verification words changed: ${JSON.stringify(v)}`);
    }
    const [creatorConn] = (await proxy.command('connections')).filter((c) => c.role === 'creator');
    if (creatorConn.binary.up !== 0) throw new Error(`A sent ${creatorConn.binary.up} frames to the server's relay`);
    const sent = await sentBytes(a);
    const expected = kBytes + Math.ceil(kBytes / kChunkBytes) * kOverheadPerChunk + kControlSlackBytes;
    if (sent > expected) throw new Error(`A sent ${sent} bytes, ${sent - expected} more than the file once`);
    log(`one peer connection each, no frame through the server, the same verification words on both screens, ` +
        `A sent ${sent} bytes for a ${kBytes}-byte file (at most ${expected} allowed)`);
    log('A log:', JSON.stringify(logA.slice(-6)));
  } finally {
    await proxy.stop();
  }
});
