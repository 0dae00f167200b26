// e2e.attack_forged_frames: the hosts reach only the server's TCP port, so the sealed frames go
// through the server's data relay, and a malicious server can put frames of its own in that
// stream. After a first real transfer, a proxy in front of the server injects 64 forged frames
// toward the receiver (B): CHUNK and CONTROL alternating, each for its own transfer id, none
// sealed by any key, after one 64 MiB message shaped like a CHUNK. They must create nothing: no
// incoming transfer shown (widgets, the live region, the activity log), the huge one dropped
// before it reaches wasm memory (the heap stays small), and a second real transfer afterwards
// still arrives (SHA-256).
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import {
  activity, instrument, offer, onlyTcpToServer, openLink, saveUnless, startProxy, transfers,
} from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kForged = 64;  // the old client's whole table of incoming transfers
// Forged transfer ids: far from the real ones (which start at a random point below 2^30).
const kFirstForgedId = 0xF0000000;
// The page names transfers by the order they appeared (in-1, save-1-0, ...): the two real ones.
const kRealIncoming = 2;
// Far longer than any frame (protocol::kMaxFrameBytes is about 1 MiB).
const kOversizeBytes = 64 * 1024 * 1024;
// The wasm heap the client starts with (INITIAL_MEMORY, web/CMakeLists.txt): a copy of the
// oversize message into wasm memory would have to grow it.
const kHeapMB = 32;

// What the receiver logs when it refuses or drops a transfer (fails the wait at once).
const kRefused = /Dropped a transfer|too many/i;

async function expectSha(page, id, content, label) {
  const got = await saveUnless(page, id, page, kRefused);
  if (sha256(got.bytes) !== sha256(content)) throw new Error(`${label}: SHA-256 mismatch`);
  log(`${label}: saved, SHA-256 matches`);
}

await runScenario('attack_forged_frames', async (env) => {
  const first = randomBytes(200_000);
  const second = randomBytes(300_000);
  onlyTcpToServer(env, 'a');
  onlyTcpToServer(env, 'b');
  const proxy = await startProxy(env, 'attack');
  try {
    const { a, link } = await offer(env, [env.file('first.bin', first)], { origin: proxy.origin });
    const { b } = await openLink(env, link, { origin: proxy.origin });
    await b.waitStatus(/Connection: relayed by server/, 3 * kStepTimeoutMs);
    await expectSha(b, 'save-1-0', first, 'first transfer through the relay');
    await instrument(b);
    const logBefore = (await activity(b)).length;

    await proxy.command('forge_frames', { role: 'joiner', count: kForged, firstId: kFirstForgedId, oversizeBytes: kOversizeBytes });
    // The relay keeps one order per sender, and the proxy wrote the forged frames to B before
    // anything A sends next: once the second transfer arrives, B has read them all.
    await a.chooseFiles([env.file('second.bin', second)]);
    await expectSha(b, 'save-2-0', second, 'second transfer after the forged frames');

    const { dropped, heapMB } = await b.page.evaluate(() => ({
      dropped: Module.ferryStats.droppedOversize, heapMB: Module.HEAPU8.length / 1048576 }));
    if (dropped !== 1) throw new Error(`B dropped ${dropped} oversize messages, not the one forged`);
    if (heapMB > kHeapMB) throw new Error(`B's wasm heap grew to ${heapMB} MB: the oversize message reached wasm memory`);
    const seen = await b.page.evaluate(() => [...window.ferryTestSeen]);
    const forgedWidgets = seen.filter((id) => {
      const m = id.match(/^(?:in|save|pause-in|resume-in|cancel-in)-(\d+)/);
      return m && Number(m[1]) > kRealIncoming;
    });
    if (forgedWidgets.length) throw new Error('forged frames made transfers on screen: ' + forgedWidgets.slice(0, 8).join(', '));
    const shown = await transfers(b);
    if (shown.length !== 2 || shown.some((t) => t.dir !== 'Receiving' || t.state !== 'complete')) {
      throw new Error(`B's live region names other transfers than the two real ones: "${await b.status()}"`);
    }
    const newLines = (await activity(b)).slice(logBefore);
    const offered = newLines.filter((l) => /^Receiving /.test(l));
    if (offered.length !== 1) throw new Error('B\'s activity log announces other transfers: ' + JSON.stringify(newLines));
    log(`${kForged} forged frames created nothing; B's log since: ${JSON.stringify(newLines)}`);
  } finally {
    await proxy.stop();
  }
});
