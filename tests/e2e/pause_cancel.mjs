// e2e.pause_cancel: pausing, resuming and cancelling, driven only through the UI's buttons.
// 1. A sends 60 MB (A's bandwidth capped, so it lasts). At 10 % or more B presses Pause: both
//    sides show the transfer paused, A puts nothing more on the channel, and B's Resume button
//    appears. B resumes; later A presses its own Pause (sender side): the same checks from A's
//    side. A resumes; the file completes and its SHA-256 matches.
// 2. A sends another 60 MB with "Send more files"; once B shows it moving A presses Cancel:
//    both sides show it cancelled, A stops sending, B never shows a Save button for it and
//    keeps nothing of it in its storage.
// 3. A third, small file still goes through: a cancel does not end the session.
// Screenshots: pause-cancel-{paused-by-b,paused-by-a,cancelled}-{A,B}.png in FERRY_E2E_OUT.
import { kStepTimeoutMs, log, randomBytes } from './lib/ferry.mjs';
import {
  everShown, expectNoMoreSent, expectSha, instrument, limitRate, offer, openLink, storedIncoming, transfers, until,
  waitTransfer,
} from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBigBytes = Number(process.env.FERRY_E2E_PAUSE_BYTES || 60 * 1000 * 1000);
const kSmallBytes = 1000 * 1000 + 7;
// How long a paused or cancelled sender is watched for bytes it should not send (see
// expectNoMoreSent: a bound on looking, not on speed).
const kWatchMs = 4000;

// Widgets that must not be on screen (the UI publishes only what it drew this frame).
async function expectNoWidget(page, id) {
  const shown = await page.page.evaluate((w) => !!(window.ferryWidgets && window.ferryWidgets[w]), id);
  if (shown) throw new Error(`${page.name} shows ${id}`);
}

// `pauser` (a or b) presses Pause on transfer 1: both sides show it paused, the pauser's Resume
// button replaces its Pause button, and A puts nothing more on the channel. Returns the
// percent B shows.
async function pauseTransfer1(a, b, pauser) {
  const dir = pauser === a ? 'out' : 'in';
  await pauser.click(`pause-${dir}-1`);
  await waitTransfer(a, 0, { state: 'paused' });
  const { percent } = await waitTransfer(b, 0, { state: 'paused' });
  log(`${pauser.name} paused at ${percent}%: both sides show it paused`);
  await pauser.widget(`resume-${dir}-1`);
  await expectNoWidget(pauser, `pause-${dir}-1`);
  const sent = await expectNoMoreSent(a, async () => (await transfers(a))[0]?.state === 'paused', kWatchMs);
  log(`A stopped sending while ${pauser.name} paused (${sent} bytes sent, unchanged for ${kWatchMs} ms)`);
  await shoot(a, b, `paused-by-${pauser.name.toLowerCase()}`);
  return percent;
}

async function shoot(a, b, label) {
  await a.screenshot(`pause-cancel-${label}-A`);
  await b.screenshot(`pause-cancel-${label}-B`);
}

await runScenario('pause_cancel', async (env) => {
  const first = randomBytes(kBigBytes);
  const second = randomBytes(kBigBytes);
  const third = randomBytes(kSmallBytes);
  limitRate(env.lan.ns.a, '32mbit');  // about 4 MB/s: room for two pauses in a 60 MB transfer
  const { a, link } = await offer(env, [env.file('first.bin', first)]);
  await instrument(a);
  const { b } = await openLink(env, link);
  await instrument(b);

  // --- 1a. The receiver pauses, 1b. the sender pauses -------------------------------------
  await waitTransfer(b, 0, { state: 'moving', atLeast: 10 });
  const pausedB = await pauseTransfer1(a, b, b);
  // A sees the transfer paused by the other device: only B can resume it, so A offers no Resume
  // (it may still add its own pause).
  await a.widget('pause-out-1');
  await expectNoWidget(a, 'resume-out-1');
  await b.click('resume-in-1');
  await waitTransfer(b, 0, { state: 'moving', atLeast: pausedB + 10 });
  await waitTransfer(a, 0, { state: 'moving' });
  log('B resumed: moving again on both sides');

  await pauseTransfer1(a, b, a);
  await a.click('resume-out-1');
  await waitTransfer(a, 0, { state: 'moving' });
  await expectSha(b, 'save-1-0', first, 'first file');
  await waitTransfer(a, 0, { state: 'complete' });
  await waitTransfer(b, 0, { state: 'complete' });

  // --- 2. The sender cancels a second transfer --------------------------------------------
  await a.chooseFiles([env.file('second.bin', second)]);
  await waitTransfer(b, 1, { state: 'moving', atLeast: 10 });
  await a.click('cancel-out-2');
  const cancelledA = await waitTransfer(a, 1, { state: 'cancelled' });
  const cancelledB = await waitTransfer(b, 1, { state: 'cancelled' });
  log(`A cancelled at ${cancelledA.percent}% (B had ${cancelledB.percent}%): both sides show it cancelled`);
  for (const id of ['pause-out-2', 'resume-out-2', 'cancel-out-2']) await expectNoWidget(a, id);
  for (const id of ['pause-in-2', 'resume-in-2', 'cancel-in-2']) await expectNoWidget(b, id);
  await expectNoMoreSent(a, async () => true, kWatchMs);
  log('A sends nothing more of the cancelled transfer');
  // The glue removes a cancelled file from storage asynchronously: wait for it (bounded).
  const left = await until('B to drop the cancelled file from its storage', async () => {
    const names = await storedIncoming(b);
    return names.some((n) => n.endsWith('second.bin')) ? null : names;
  }, { detail: async () => `stored: ${(await storedIncoming(b)).join(', ')}` });
  log(`B's storage after the cancel: ${left.join(', ') || '(empty)'}`);
  await shoot(a, b, 'cancelled');

  // --- 3. The session survives the cancel -------------------------------------------------
  await a.chooseFiles([env.file('third.bin', third)]);
  await expectSha(b, 'save-3-0', third, 'third file');
  await waitTransfer(a, 2, { state: 'complete' });
  // Checked last, when B has shown every frame up to the third file: never a Save button for
  // the cancelled transfer, and its state stays cancelled.
  // (save-1-0 was shown: the record of shown widgets works, so its silence on save-2-0 counts.)
  if (!(await everShown(b, 'save-1-0'))) throw new Error('instrumentation: save-1-0 never recorded');
  if (await everShown(b, 'save-2-0')) throw new Error('B offered the cancelled file (save-2-0 was shown)');
  const after = await transfers(b);
  if (after[1]?.state !== 'cancelled') throw new Error(`B's second transfer is ${after[1]?.state} after the third`);
  log(`B never offered the cancelled file; live region now: "${await b.status()}"`);
});
