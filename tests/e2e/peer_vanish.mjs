// e2e.peer_vanish: one device's browser dies in the middle of a transfer (SIGKILL, as a crash
// would), and the other says so and offers nothing it did not fully get.
// 1. The sender dies. A sends a small file (1 MB) and a big one (60 MB, A's bandwidth capped) in
//    one go. Once B has the small one (its Save button is there) and the big one is moving, A's
//    Chromium is killed. B's status must say the sender went away (the time it took is
//    logged); the small file still saves with the right SHA-256; the big one is neither offered
//    (no save-1-1, ever) nor shown complete.
// 2. The receiver dies. A fresh pair; A sends 60 MB and B's Chromium is killed while it moves.
//    A's status must say the other device went away (time logged); its transfer is not shown
//    complete.
import { browserPid, killHard } from './lib/browser.mjs';
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { everShown, instrument, limitRate, offer, openLink, transfers, until, waitTransfer } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBigBytes = Number(process.env.FERRY_E2E_VANISH_BYTES || 60 * 1000 * 1000);
const kSmallBytes = 1000 * 1000;
// How long the survivor may take to say the other went away. Generous: it bounds the wait,
// it is not what is measured (the measured delay is logged).
const kGoneTimeoutMs = 2 * kStepTimeoutMs;

// Kills `browser` and waits for `survivor` to say the other side went away; returns the ms.
async function killAndWaitGone(browser, survivor, who) {
  const pid = browserPid(browser);
  const t0 = Date.now();
  const killed = await killHard(browser);
  log(`killed ${who}'s Chromium (PID ${pid}); its other processes ` +
      (killed.childrenGoneMs >= 0 ? `were gone after ${killed.childrenGoneMs} ms`
                                  : `(${killed.leftOver}) had to be killed by group`));
  await until(`${survivor.name} to say ${who} went away`, async () => /went away/.test(await survivor.status()),
    { timeout: kGoneTimeoutMs, everyMs: 20, detail: async () => `live region: "${await survivor.status()}"` });
  const ms = Date.now() - t0;
  log(`${survivor.name} said "${(await survivor.status()).match(/[^.]*went away[^.]*\./)[0]}" ${ms} ms after the kill`);
  return ms;
}

await runScenario('peer_vanish', async (env) => {
  limitRate(env.lan.ns.a, '32mbit');  // about 4 MB/s: the big file is still moving when a side dies
  const delays = {};

  // --- 1. The sender dies ------------------------------------------------------------------
  {
    const small = randomBytes(kSmallBytes);
    const big = randomBytes(kBigBytes);
    const { link, browser } = await offer(env, [env.file('small.bin', small), env.file('big.bin', big)]);
    const { b, browser: browserB } = await openLink(env, link);
    await instrument(b);
    await b.widget('save-1-0', 3 * kStepTimeoutMs);
    // The small file is 1/61 of the transfer: 10 % means the big one is well under way.
    const before = await waitTransfer(b, 0, { state: 'moving', atLeast: 10 });
    log(`B has the small file; the transfer is at ${before.percent}%`);
    delays.senderKilled = await killAndWaitGone(browser, b, 'the sender');
    await b.screenshot('peer-vanish-sender-gone-B');

    const got = await b.save('save-1-0');
    if (got.bytes.length !== small.length || sha256(got.bytes) !== sha256(small)) {
      throw new Error(`small file: SHA-256 mismatch (${got.bytes.length} of ${small.length} bytes)`);
    }
    log('B saved the small file after the sender died: SHA-256 matches');
    const t = (await transfers(b))[0];
    if (!t || t.state === 'complete' || t.percent >= 100) {
      throw new Error(`B shows the transfer as ${t ? `${t.state} ${t.percent}%` : 'gone'} after the sender died`);
    }
    if (!(await everShown(b, 'save-1-0'))) throw new Error('instrumentation: save-1-0 never recorded');
    if (await everShown(b, 'save-1-1')) throw new Error('B offered the big file it never fully got (save-1-1)');
    // Once the dead path is noticed too, the transfer waits (nothing moves, the wake lock goes).
    const waiting = await waitTransfer(b, 0, { state: 'waiting' });
    log(`B does not offer the big file; its transfer shows "${waiting.state} ${waiting.percent}%"`);
    await browserB.close();  // two cores: the next pair should not share them with this one
  }

  // --- 2. The receiver dies ----------------------------------------------------------------
  {
    const big = randomBytes(kBigBytes);
    const { a, link } = await offer(env, [env.file('big2.bin', big)], { name: 'A2' });
    const { b, browser } = await openLink(env, link, { name: 'B2' });
    const before = await waitTransfer(b, 0, { state: 'moving', atLeast: 10 });
    log(`B2 receives; the transfer is at ${before.percent}%`);
    delays.receiverKilled = await killAndWaitGone(browser, a, 'the receiver');
    await a.screenshot('peer-vanish-receiver-gone-A');
    const t = (await transfers(a))[0];
    if (!t || t.state === 'complete' || t.percent >= 100) {
      throw new Error(`A2 shows the transfer as ${t ? `${t.state} ${t.percent}%` : 'gone'} after the receiver died`);
    }
    const waiting = await waitTransfer(a, 0, { state: 'waiting' });
    log(`A2's transfer shows "${waiting.state} ${waiting.percent}%"`);
  }
  log(`"went away" delays: sender killed ${delays.senderKilled} ms, receiver killed ${delays.receiverKilled} ms`);
});
