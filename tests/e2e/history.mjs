// e2e.history: each device keeps a local history of its transfers (issue 12, item 6).
// A sends two files to B; both leave the session. Each home screen lists the transfer (sent /
// received, names, sizes, result, the verification words), stored in that browser's IndexedDB
// only; it survives a reload; "Clear history" empties it. The history never leaves the device:
// the server's log and the signalling traffic never carry the file names.
// Screenshots: history-{A,B}.png, history-cleared-B.png in FERRY_E2E_OUT.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, offer, openLink, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// The entries in the page's IndexedDB, as stored.
async function stored(page) {
  return page.page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('ferry-history', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('entries', { keyPath: 'id', autoIncrement: true });
    req.onsuccess = () => {
      const all = req.result.transaction('entries', 'readonly').objectStore('entries').getAll();
      all.onsuccess = () => { req.result.close(); resolve(all.result); };
      all.onerror = () => resolve(null);
    };
    req.onerror = () => resolve(null);
  }));
}

async function words(page) {
  const line = (await activity(page)).find((l) => /Verification words: /.test(l));
  return line.replace(/.*Verification words: /, '').trim();
}

function check(entry, { sent, names, sizes, sas }) {
  if (!entry) throw new Error('no history entry');
  const got = entry.files.map((f) => `${f.name}:${f.size}`).join(',');
  const want = names.map((n, i) => `${n}:${sizes[i]}`).join(',');
  if (entry.sent !== sent || entry.result !== 'complete' || got !== want || entry.words !== sas || !(entry.at > 0)) {
    throw new Error(`history entry ${JSON.stringify(entry)} is not sent=${sent} ${want} complete "${sas}"`);
  }
}

await runScenario('history', async (env) => {
  const one = randomBytes(300 * 1000 + 1);
  const two = randomBytes(20 * 1000);
  const names = ['report 2026.pdf', 'Ω notes.txt'];
  const { a, link } = await offer(env, [env.file(names[0], one), env.file(names[1], two)]);
  const { b } = await openLink(env, link);
  for (const [id, bytes] of [['save-1-0', one], ['save-1-1', two]]) {
    const got = await b.save(id, 3 * kStepTimeoutMs);
    if (sha256(got.bytes) !== sha256(bytes)) throw new Error(`${id}: SHA-256 mismatch`);
  }
  await a.waitStatus(/Sending complete/);
  const sas = await words(b);
  if (sas !== await words(a)) throw new Error('the two sides show different words');

  await b.click('leave');
  await a.click('leave');
  for (const [page, sent] of [[b, false], [a, true]]) {
    await page.widget('history-0', 2 * kStepTimeoutMs);
    const entries = await stored(page);
    if (!entries || entries.length !== 1) throw new Error(`${page.name} stored ${JSON.stringify(entries)}`);
    check(entries[0], { sent, names, sizes: [one.length, two.length], sas });
    await page.screenshot(`history-${page.name}`);
  }
  log('both homes list the transfer, each from its own IndexedDB');

  await b.page.reload();
  await b.widget('history-0', 2 * kStepTimeoutMs);
  log('the history survives a reload');
  await b.click('clear-history');
  await until('B to empty its history', async () => (await stored(b)).length === 0);
  await until('B to stop showing it', async () => !(await b.page.evaluate(() => !!window.ferryWidgets['history-0'])));
  await b.screenshot('history-cleared-B');
  const aLeft = await stored(a);
  if (aLeft.length !== 1) throw new Error("clearing B's history touched A's");
  const serverLog = env.server.output ? env.server.output() : '';
  for (const n of names) if (serverLog.includes(n)) throw new Error(`the server's log names ${n}`);
  log('cleared on B (A keeps its own); the server never saw a file name');
});
