// e2e.resume_reload: the receiver reloads its tab in the middle of a transfer. The reloaded page
// takes its seat back with the resume token kept in the tab's sessionStorage (the address bar
// holds no secret once the link was parsed), runs a new handshake beside A's live keys, finds
// the state it saved beside the partial file in OPFS, and the sender sends only what is missing.
// The file arrives whole (SHA-256); reports how much was sent again.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { limitRate, offer, openLink, percent, sentBytes, waitPercent } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 60 * 1000 * 1000;

async function activity(page) {
  return page.page.evaluate(() => [...document.querySelectorAll('#ferry-log li')].map((li) => li.textContent));
}

await runScenario('resume_reload', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('reloaded.bin', content);
  limitRate(env.lan.ns.a, '48mbit');
  const { a, link } = await offer(env, [file]);
  const { b } = await openLink(env, link);
  const at = 30 + 10 * Math.floor(Math.random() * 3);  // 30, 40 or 50 %
  await waitPercent(b, at);
  const url = b.page.url();
  if (/[#?]|\/j\//.test(url)) throw new Error('the address bar still holds the link: ' + url.replace(/[#?].*/, '…'));
  const record = JSON.parse(await b.page.evaluate(() => sessionStorage.getItem('ferry.join')) || '{}');
  if (!record.resume || !/#/.test(record.link || '')) throw new Error('no join record in sessionStorage');
  const before = await percent(b);
  log(`B reloads at ${before}%`);
  const t0 = Date.now();
  await b.page.reload();
  await b.page.waitForFunction(() => window.ferryWidgets !== undefined, null, { timeout: kStepTimeoutMs });
  const got = await b.save('save-1-0', 8 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the reload');
  const logB = await activity(b);
  const resumed = logB.find((l) => /Resuming a transfer/.test(l));
  if (!resumed) throw new Error('B did not resume from its saved state: ' + JSON.stringify(logB));
  const sent = await sentBytes(a);
  const overhead = Math.ceil(kBytes / 65536) * 63;
  const resent = Math.max(0, sent - kBytes - overhead);
  log(`file intact ${Date.now() - t0} ms after the reload at ${before}%; B: "${resumed}"; A sent ${sent} bytes: ` +
      `${resent} resent (${(100 * resent / kBytes).toFixed(2)}% of the file)`);
  await b.screenshot('resume-reload-received');
});
