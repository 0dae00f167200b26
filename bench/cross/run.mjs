// bench/cross: Chromium <-> Firefox ESR on the LAN, both directions: raw DataChannels between
// the two browsers (the ceiling) against Ferry, in one run.
//
//   node bench/cross/run.mjs [--seconds 10] [--rounds 2]
//
// Chromium is host a, Firefox host b. Each measurement counts the bytes that reach the
// receiving page over --seconds from its first byte. Ferry: A (Chromium) offers a file too
// large to finish in the window, B (Firefox) opens the link; once that file is in, B sends one
// back in the same session.
import { kStepTimeoutMs, log, randomBytes } from '../../tests/e2e/lib/ferry.mjs';
import { openClient } from '../../tests/e2e/lib/firefox.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { rawRound } from '../lib/raw.mjs';
import { arg } from '../throughput/run.mjs';

const kSeconds = arg('seconds', 10);
const kRounds = arg('rounds', 2);
// Larger than a window moves at LAN speed (about 15 MB/s at best here).
const kFileBytes = 200 * 1000 * 1000;
const kViewport = { width: 1000, height: 900 };

// MB/s of Ferry's chunks reaching `page` over kSeconds from the first one after `base` bytes.
async function ferryWindow(page, base) {
  await page.page.waitForFunction((b) => Module.ferryStats.receivedBytes > b, base, { timeout: 4 * kStepTimeoutMs, polling: 50 });
  const [b0, t0] = await page.page.evaluate(() => [Module.ferryStats.receivedBytes, performance.now()]);
  await new Promise((r) => setTimeout(r, kSeconds * 1000));
  const [b1, t1] = await page.page.evaluate(() => [Module.ferryStats.receivedBytes, performance.now()]);
  return (b1 - b0) / 1e6 / ((t1 - t0) / 1000);
}

await runScenario('bench_cross', async (env) => {
  const fileAB = env.file('to-firefox.bin', randomBytes(kFileBytes));
  const fileBA = env.file('to-chromium.bin', randomBytes(kFileBytes));
  const chromium = await env.browser('a');
  const firefox = await env.firefox('b');
  log(`firefox: ${typeof firefox.version === 'function' ? firefox.version() : firefox.version}`);
  const rows = [];
  for (let r = 0; r < kRounds; ++r) {
    const ctxA = await chromium.newContext({ acceptDownloads: true, viewport: kViewport });
    const ctxB = await firefox.newContext({ acceptDownloads: true, viewport: kViewport });
    await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
    // Raw between two idle client pages (the same pages Ferry then uses).
    const rawA = await openClient(ctxA, env.origin + '/', 'rawA');
    const rawB = await openClient(ctxB, env.origin + '/', 'rawB');
    const row = { round: r + 1 };
    row.rawChromiumToFirefox = await rawRound(rawA.page, rawB.page, 1, 1, kSeconds);
    row.rawFirefoxToChromium = await rawRound(rawB.page, rawA.page, 1, 1, kSeconds);

    const a = await openClient(ctxA, env.origin + '/', 'A-chromium');
    await a.chooseFiles([fileAB]);
    await a.click('copy-link');
    const link = await a.page.evaluate(() => navigator.clipboard.readText());
    const b = await openClient(ctxB, link, 'B-firefox');
    row.ferryChromiumToFirefox = await ferryWindow(b, 0);
    await b.widget('save-1-0', 10 * kStepTimeoutMs);
    const base = await a.page.evaluate(() => Module.ferryStats.receivedBytes);
    await b.chooseFiles([fileBA]);
    row.ferryFirefoxToChromium = await ferryWindow(a, base + 1024 * 1024);
    row.ratioChromiumToFirefox = row.ferryChromiumToFirefox / row.rawChromiumToFirefox;
    row.ratioFirefoxToChromium = row.ferryFirefoxToChromium / row.rawFirefoxToChromium;
    log(`round ${r + 1}: Chromium -> Firefox raw ${row.rawChromiumToFirefox.toFixed(1)} MB/s, Ferry ${row.ferryChromiumToFirefox.toFixed(1)} ` +
        `(${row.ratioChromiumToFirefox.toFixed(2)}x); Firefox -> Chromium raw ${row.rawFirefoxToChromium.toFixed(1)}, ` +
        `Ferry ${row.ferryFirefoxToChromium.toFixed(1)} (${row.ratioFirefoxToChromium.toFixed(2)}x)`);
    rows.push(row);
    await ctxA.close();
    await ctxB.close();
  }
  console.log(JSON.stringify({ seconds: kSeconds, rows }, null, 1));
});
