// e2e.accept_decline: accept before anything is received (issue 12, item 1), through the UI only.
// 1. A offers three files. B's panel lists each name, size and type, the total and the
//    verification words, which match A's. Until B answers, A shows "Waiting for the other device
//    to accept", has put no CHUNK byte on the wire, and B's storage holds nothing.
// 2. B unticks the first file and accepts the other two: only those arrive (SHA-256), A says
//    "partly accepted", and A never sent a byte of the unticked file.
// 3. A offers a fourth file; B declines: A shows it declined, nothing of it moves, and the
//    session goes on.
// 4. A offers a fifth; B ticks "Accept everything from this device for this session", which
//    accepts it; a sixth then arrives with no panel at all.
// Screenshots: accept-decline-{panel-B,waiting-A,partly-A,declined-A}.png in FERRY_E2E_OUT.
import { kStepTimeoutMs, log, randomBytes } from './lib/ferry.mjs';
import {
  activity, everShown, expectSha, instrument, offer, openLink, sentBytes, storedIncoming, transfers, until, waitTransfer,
} from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

async function waitLog(page, re) {
  return until(`${page.name}'s log to show ${re}`, async () => (await activity(page)).find((l) => re.test(l)),
    { detail: async () => (await activity(page)).slice(-5).join(' | ') });
}

// The verification words a page draws (its "sas" widget is canvas text; the live region and
// the log carry them as text).
async function sasWords(page) {
  const line = (await activity(page)).find((l) => /Verification words: /.test(l));
  return line ? line.replace(/.*Verification words: /, '').trim() : null;
}

await runScenario('accept_decline', async (env) => {
  const files = {
    skipped: { name: 'holiday.mov', bytes: randomBytes(3 * 1000 * 1000 + 11) },
    doc: { name: 'notes.txt', bytes: randomBytes(200 * 1000 + 3) },
    photo: { name: 'Ünïcode 写真.jpg', bytes: randomBytes(900 * 1000 + 5) },
    declined: { name: 'declined.bin', bytes: randomBytes(2 * 1000 * 1000) },
    fifth: { name: 'fifth.bin', bytes: randomBytes(300 * 1000) },
    sixth: { name: 'sixth.bin', bytes: randomBytes(400 * 1000) },
  };
  const path = (f) => env.file(f.name, f.bytes);
  const { a, link } = await offer(env, [files.skipped, files.doc, files.photo].map(path));
  await instrument(a);
  const { b } = await openLink(env, link, { accept: false });
  await instrument(b);

  // --- 1. The offer waits ---------------------------------------------------------------
  await b.widget('accept-in-1', 2 * kStepTimeoutMs);
  await b.waitStatus(/offers 3 files \(4\.\d MB\): accept or decline/);
  await a.waitStatus(/Sending waiting to be accepted 0%/);
  await a.widget('answer-out-1');
  for (const id of ['offer-in-1', 'decline-in-1', 'accept-all', 'offer-sas-in-1', 'pick-in-1-0', 'pick-in-1-1', 'pick-in-1-2']) {
    await b.widget(id);
  }
  const wordsA = await sasWords(a);
  const wordsB = await sasWords(b);
  if (!wordsA || wordsA !== wordsB) throw new Error(`verification words differ: A "${wordsA}", B "${wordsB}"`);
  await b.screenshot('accept-decline-panel-B');
  await a.screenshot('accept-decline-waiting-A');
  // The protocol, not timing, makes this hold: without B's answer A has no credit to send with.
  if ((await sentBytes(a)) !== 0) throw new Error(`A sent ${await sentBytes(a)} CHUNK bytes before B answered`);
  const early = await storedIncoming(b);
  if (early.length) throw new Error(`B stored ${early.join(', ')} before accepting`);
  log(`the offer waits: A sent nothing, B stored nothing, both show the words "${wordsA}"`);

  // --- 2. Partly accepted -----------------------------------------------------------------
  const narrow = (await b.widget('accept-in-1')).w;
  await b.click('pick-in-1-0');
  // The button now reads "Accept 2 of 3": wider than "Accept", which shows the untick landed.
  await until('B\'s Accept button to take 2 of 3', async () => (await b.widget('accept-in-1')).w > narrow);
  await b.click('accept-in-1');
  await waitLog(b, /^Receiving 2 files of 3/);
  await expectSha(b, 'save-1-1', files.doc.bytes, files.doc.name);
  await expectSha(b, 'save-1-2', files.photo.bytes, files.photo.name);
  await waitTransfer(a, 0, { state: 'complete' });
  await waitLog(a, /The other device accepted 2 of 3 files/);
  await a.widget('answer-out-1');
  const sentAfterTwo = await sentBytes(a);
  const wanted = files.doc.bytes.length + files.photo.bytes.length;
  // CHUNK frames carry 63 bytes of header, nonce and tag per 64 KiB chunk.
  if (sentAfterTwo < wanted || sentAfterTwo >= wanted + files.skipped.bytes.length / 2) {
    throw new Error(`A sent ${sentAfterTwo} CHUNK bytes for ${wanted} bytes of accepted files`);
  }
  if (await everShown(b, 'save-1-0')) throw new Error('B offered to save the file it did not accept');
  const stored = await storedIncoming(b);
  if (stored.some((n) => n.endsWith('-0'))) throw new Error(`B stored the unticked file: ${stored.join(', ')}`);
  await a.screenshot('accept-decline-partly-A');
  log(`partly accepted: A sent ${sentAfterTwo} CHUNK bytes for ${wanted} bytes of the two files taken`);

  // --- 3. Declined ----------------------------------------------------------------------
  await a.chooseFiles([path(files.declined)]);
  // Declined from the keyboard, as a screen reader user does: the panel's buttons are real,
  // named buttons in the accessibility tree.
  await b.widget('decline-in-2');
  const decline = b.page.getByRole('button', { name: 'Decline the offered files' });
  await decline.waitFor({ state: 'visible' });
  if (await b.page.getByRole('button', { name: 'Accept (1 file offered)' }).count() !== 1) {
    throw new Error('the Accept button is not named in the accessibility tree');
  }
  await decline.focus();
  await b.page.keyboard.press('Enter');
  await waitLog(a, /The other device declined the files/);
  await waitTransfer(a, 1, { state: 'declined' });
  await waitTransfer(b, 1, { state: 'declined' });
  if ((await sentBytes(a)) !== sentAfterTwo) throw new Error('A sent CHUNK bytes of the declined offer');
  await a.screenshot('accept-decline-declined-A');
  log('declined: both sides show it, nothing of it moved');

  // --- 4. Accept everything from this device ---------------------------------------------
  await a.chooseFiles([path(files.fifth)]);
  await b.widget('accept-in-3');
  await b.click('accept-all');
  await expectSha(b, 'save-3-0', files.fifth.bytes, files.fifth.name);
  await a.chooseFiles([path(files.sixth)]);
  await expectSha(b, 'save-4-0', files.sixth.bytes, files.sixth.name);
  if (await everShown(b, 'accept-in-4')) throw new Error('B was asked about the sixth file after "accept everything"');
  const states = (await transfers(a)).map((t) => t.state);
  log(`A's transfers: ${states.join(', ')}; the session went on through the decline`);
});
