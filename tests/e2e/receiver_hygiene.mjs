// e2e.receiver_hygiene: received plaintext does not linger in the receiver's OPFS. A sends two
// files by link; B (Chromium, OPFS) receives both, saves one through its Save button (a
// download, as in Firefox and Safari): once the download has had its time to read it, that
// file's OPFS entry is gone and the other is still there. Then A sends a large file at a capped
// rate; while it is partly received, B presses Leave: nothing remains in ferry-incoming (the
// unsaved finished file, the partial file, its state). Last, in a new session with "Keep
// received files after I leave, until I save them" ticked: Leave keeps the unsaved file, the
// home screen still offers it, and saving it there removes it too.
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { limitRate, offer, openLink } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// platform/js/storage.js downloadReadMs() (60 s and 0.2 s for this 2 MB file) plus room for a busy machine.
const kRemovedAfterSaveMs = 120_000;
const kRemovedAfterLeaveMs = 30_000;
const kPollMs = 250;  // between two listings of the OPFS folder while waiting for a removal

// The names in B's ferry-incoming folder, sorted.
async function opfsNames(page) {
  return page.page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('ferry-incoming', { create: true });
    const names = [];
    for await (const n of d.keys()) names.push(n);
    return names.sort();
  });
}

// Waits until no name in ferry-incoming matches `pattern` (a RegExp source), within timeoutMs.
async function waitGone(page, pattern, timeoutMs) {
  const ok = await page.page.evaluate(async ({ pattern, timeoutMs, pollMs }) => {
    const re = new RegExp(pattern);
    const deadline = Date.now() + timeoutMs;
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('ferry-incoming', { create: true });
    for (;;) {
      let left = false;
      for await (const n of d.keys()) left = left || re.test(n);
      if (!left) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }, { pattern, timeoutMs, pollMs: kPollMs });
  if (!ok) throw new Error(`still in OPFS after ${timeoutMs} ms (/${pattern}/): ${JSON.stringify(await opfsNames(page))}`);
}

await runScenario('receiver_hygiene', async (env) => {
  const saved = randomBytes(2 * 1000 * 1000 + 5);
  const unsaved = randomBytes(1000 * 1000 + 3);
  const big = randomBytes(40 * 1000 * 1000);
  const files = [env.file('saved then removed.bin', saved), env.file('left unsaved.bin', unsaved)];
  const { a, link, ctx: ctxA } = await offer(env, files);
  const { b, ctx: ctxB } = await openLink(env, link);
  // Tall enough that the Leave button, below three files, is on screen to be clicked.
  await b.page.setViewportSize({ width: 1000, height: 1400 });
  if (await b.page.evaluate(() => Module.ferryGlue.storageMode()) !== 'opfs') throw new Error('B has no OPFS');
  await b.widget('save-1-0', 3 * kStepTimeoutMs);
  await b.widget('save-1-1', 3 * kStepTimeoutMs);
  // Stored as <room>-<transfer id>-<file id> (the first transfer id is random): file 0 and 1.
  const before = await opfsNames(b);
  log('B holds in OPFS:', JSON.stringify(before));
  const key0 = before.find((n) => n.endsWith('-0'));
  const key1 = before.find((n) => n.endsWith('-1'));
  if (before.length !== 2 || !key0 || !key1) throw new Error('the received files are not in OPFS: ' + JSON.stringify(before));

  const got = await b.save('save-1-0');
  if (sha256(got.bytes) !== sha256(saved)) throw new Error('SHA-256 mismatch for the saved file');
  const t0 = Date.now();
  await waitGone(b, `^${key0}$`, kRemovedAfterSaveMs);
  const afterSave = await opfsNames(b);
  if (!afterSave.includes(key1)) throw new Error('the unsaved file went too: ' + JSON.stringify(afterSave));
  log(`the saved file left OPFS ${Date.now() - t0} ms after its download began; the unsaved one is still there`);

  // A partial file (and, once enough arrived, its state) when B leaves.
  limitRate(env.lan.ns.a, '16mbit');
  await a.chooseFiles([env.file('partial at leave.bin', big)]);
  // The second transfer in progress ("Receiving 12%."; the first one reads "Receiving complete").
  await b.page.waitForFunction(() => {
    const m = document.getElementById('ferry-live').textContent.match(/Receiving (\d+)%/);
    return m && Number(m[1]) >= 10;
  }, null, { timeout: 3 * kStepTimeoutMs, polling: 100 });
  const during = await opfsNames(b);
  log('B holds in OPFS mid-transfer:', JSON.stringify(during));
  const partial = during.filter((n) => n !== key1 && !n.endsWith('.state'));
  if (partial.length !== 1) throw new Error('the partial file is not in OPFS: ' + JSON.stringify(during));
  await b.click('leave');
  await waitGone(b, '.', kRemovedAfterLeaveMs);
  log('after Leave, ferry-incoming is empty');
  await b.widget('send-files');  // back on the home screen
  await b.screenshot('receiver-hygiene-after-leave');

  // Keep until saved: a new session in new tabs of the same browsers (the same OPFS).
  const kept = randomBytes(1000 * 1000 + 7);
  const a2 = await ClientPage.open(ctxA, env.origin + '/', 'A2');
  env.pages.push(a2);
  await a2.chooseFiles([env.file('kept until saved.bin', kept)]);
  await a2.click('copy-link');
  const link2 = await a2.page.evaluate(() => navigator.clipboard.readText());
  const b2 = await ClientPage.open(ctxB, link2, 'B2');
  env.pages.push(b2);
  await b2.page.setViewportSize({ width: 1000, height: 1400 });
  await b2.widget('save-1-0', 3 * kStepTimeoutMs);
  await b2.click('keep-files');
  await b2.page.waitForFunction(() => sessionStorage.getItem('ferry.keepUntilSaved') === '1', null, { timeout: kStepTimeoutMs });
  await b2.click('leave');
  await b2.widget('send-files');
  const keptNames = await opfsNames(b2);
  if (keptNames.length !== 1 || !keptNames[0].endsWith('-0')) {
    throw new Error('Leave with "keep until saved" should keep exactly the unsaved file: ' + JSON.stringify(keptNames));
  }
  const again = await b2.save('save-1-0');  // offered on the home screen
  if (sha256(again.bytes) !== sha256(kept)) throw new Error('SHA-256 mismatch for the kept file');
  await waitGone(b2, '.', kRemovedAfterSaveMs);
  log('with "keep until saved", Leave kept the unsaved file; saving it from the home screen removed it');
});
