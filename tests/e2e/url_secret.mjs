// e2e.url_secret: once the joiner (B) has opened the link, its address bar holds no secret: no
// #fragment (link secret, resume token) and no join token. Whoever later gets that URL (a copy,
// synced history, a shared screen) gets nothing. The tab keeps what it needs in sessionStorage,
// so a reload mid-transfer still takes its seat back and the transfer resumes and completes
// (SHA-256), and after the reload the address bar is still clean.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, limitRate, offer, openLink, percent, waitPercent } from './lib/flows.mjs';
import { linkParts } from './lib/attack.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 20 * 1000 * 1000;
const kReloadAtPercent = 30;

// Throws if `url` carries a fragment or a join token (the room id in the path is no secret:
// without the token it admits nobody).
function expectClean(url, when) {
  const u = new URL(url);
  if (u.hash) throw new Error(`${when}: the address bar still holds a fragment (${u.hash.length - 1} characters)`);
  if (u.searchParams.has('t')) throw new Error(`${when}: the address bar still holds the join token`);
}

await runScenario('url_secret', async (env) => {
  const content = randomBytes(kBytes);
  limitRate(env.lan.ns.a, '32mbit');
  const { link } = await offer(env, [env.file('no-secret-in-url.bin', content)]);
  const { fragment } = linkParts(link);
  const { b } = await openLink(env, link);
  await b.waitStatus(/^Connected/);
  expectClean(b.page.url(), 'after joining');
  const stored = await b.page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
  if (!stored.includes(fragment)) throw new Error('the link secret is not in sessionStorage: a reload could not resume');
  log(`B's address bar: ${b.page.url().replace(/\/j\/.*/, '/j/<room>')}; the secret is in sessionStorage`);

  await waitPercent(b, kReloadAtPercent);
  const before = await percent(b);
  await b.page.reload();
  await b.page.waitForFunction(() => window.ferryWidgets !== undefined, null, { timeout: kStepTimeoutMs });
  const got = await b.save('save-1-0', 5 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the reload');
  expectClean(b.page.url(), 'after the reload');
  const resumed = (await activity(b)).find((l) => /Resuming a transfer/.test(l));
  if (!resumed) throw new Error('B did not resume from its saved state after the reload');
  log(`B reloaded at ${before}%, resumed ("${resumed}") and saved the file; SHA-256 matches; the address bar is still clean`);
});
