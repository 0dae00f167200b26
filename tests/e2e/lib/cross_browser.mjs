// The body of e2e.chromium_to_firefox and e2e.firefox_to_chromium: host A in one browser
// chooses a 20 MB random file and a file with a unicode name; host B in the other browser opens
// the link, saves both, and the names and SHA-256 match. Then B sends a file back to A in the
// same session, and A saves it. Firefox pages are photographed (home, session, progress,
// received) so a person can check that the canvas UI renders there too.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { kStepTimeoutMs, log, randomBytes, sha256 } from './ferry.mjs';
import { openClient } from './firefox.mjs';
import { runScenario } from './scenario.mjs';

const kBigBytes = Number(process.env.FERRY_E2E_BIG_BYTES || 20 * 1000 * 1000);
const kReplyBytes = 5 * 1000 * 1000 + 17;  // big enough for a throughput figure the other way
const kViewport = { width: 1000, height: 900 };

function mbPerS(bytes, ms) {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

// Starts a watch in the page: the time of the first DataChannel message after now (the glue
// counts them in Module.ferryStats) and of the first poll that sees widget `doneId`.
async function watch(page, doneId) {
  await page.page.evaluate((id) => {
    const w = { base: Module.ferryStats.received, first: 0, done: 0 };
    window.ferryTestWatch = w;
    const timer = setInterval(() => {
      if (!w.first && Module.ferryStats.received > w.base) w.first = performance.now();
      if (window.ferryWidgets && window.ferryWidgets[id]) {
        w.done = performance.now();
        clearInterval(timer);
      }
    }, 10);
  }, doneId);
}

// Waits for the watched widget; returns the milliseconds from first message to done.
async function timing(page, doneId) {
  await page.widget(doneId, 5 * kStepTimeoutMs);
  const w = await page.page.waitForFunction(() => window.ferryTestWatch.done && window.ferryTestWatch, null, { timeout: kStepTimeoutMs });
  const v = typeof w.jsonValue === 'function' ? await w.jsonValue() : w;
  return v.done - v.first;
}

// Saves each [saveWidgetId, file] on `page` and checks the name and the bytes.
async function saveAndCheck(page, list) {
  for (const [id, f] of list) {
    const got = await page.save(id, 5 * kStepTimeoutMs);
    const as = got.savedAs && got.savedAs !== got.name ? ` (saved as ${JSON.stringify(got.savedAs)})` : '';
    log(`${page.name} saved ${JSON.stringify(got.name)}${as}: ${got.bytes.length} bytes`);
    if (got.name !== f.name) throw new Error(`name ${JSON.stringify(got.name)} != ${JSON.stringify(f.name)}`);
    if (got.savedAs && got.savedAs !== f.name) throw new Error(`saved under ${JSON.stringify(got.savedAs)}, not ${JSON.stringify(f.name)}`);
    if (sha256(got.bytes) !== sha256(f.bytes)) throw new Error(`SHA-256 mismatch for ${f.name}`);
  }
}

// A high-density screen in Firefox: the canvas must have twice the backing pixels of its CSS
// size (the screenshot shows whether text stays sharp).
async function checkHighDensity(env, firefox, name) {
  const ctx = await firefox.newContext({ viewport: { ...kViewport, deviceScaleFactor: 2 } });
  const page = await openClient(ctx, env.origin + '/', 'firefox-dpr2');
  const canvas = await page.page.evaluate(() => {
    const c = document.getElementById('canvas');
    return { dpr: window.devicePixelRatio, w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight };
  });
  log('Firefox at DPR 2:', JSON.stringify(canvas));
  await page.screenshot(`${name}-firefox-home-dpr2`);
  if (canvas.dpr !== 2 || canvas.w !== 2 * canvas.cssW) throw new Error('canvas is not drawn at the device pixel ratio');
  await ctx.close();
}

// kindA, kindB: 'chromium' or 'firefox'.
export async function runCrossBrowser(name, kindA, kindB) {
  await runScenario(name, async (env) => {
    const files = {
      big: { name: `random-${Math.round(kBigBytes / 1e6)}MB.bin`, bytes: randomBytes(kBigBytes) },
      unicode: { name: 'naïve résumé 日本語 🚀.txt', bytes: Buffer.from('Grüße aus Ferry — ünïcödé ✓\n'.repeat(1000)) },
      back: { name: 'reply from B.bin', bytes: randomBytes(kReplyBytes) },
    };
    for (const f of Object.values(files)) f.path = env.file(f.name, f.bytes);
    const shot = async (page, kind, label) => {
      if (kind === 'firefox') await page.screenshot(`${name}-firefox-${label}`);
    };

    const launch = (kind, host) => (kind === 'firefox' ? env.firefox(host) : env.browser(host));
    const [ba, bb] = await Promise.all([launch(kindA, 'a'), launch(kindB, 'b')]);
    for (const b of [ba, bb]) log(`${b.name || 'chromium'}: ${typeof b.version === 'function' ? b.version() : b.version}`);
    const ff = kindA === 'firefox' ? ba : kindB === 'firefox' ? bb : null;
    if (ff) await checkHighDensity(env, ff, name);

    const ctxA = await ba.newContext({ acceptDownloads: true, viewport: kViewport });
    const ctxB = await bb.newContext({ acceptDownloads: true, viewport: kViewport });
    if (kindA === 'chromium') await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });

    const a = await openClient(ctxA, env.origin + '/', `A-${kindA}`);
    env.pages.push(a);
    const features = await a.page.evaluate(() => ({
      secure: window.isSecureContext,
      opfs: !!(navigator.storage && navigator.storage.getDirectory),
      dpr: window.devicePixelRatio,
      canvas: (() => { const c = document.getElementById('canvas'); return c ? `${c.width}x${c.height} css ${c.clientWidth}x${c.clientHeight}` : 'none'; })(),
    }));
    log(`A (${kindA}) page:`, JSON.stringify(features));
    await shot(a, kindA, 'home');

    log(`A (${kindA}) chooses 2 files`);
    await a.chooseFiles([files.big.path, files.unicode.path]);
    await a.widget('copy-link');
    await shot(a, kindA, 'session');

    // The link as a person gets it: the Copy button, then the clipboard. The QR code on screen
    // must scan to the same link.
    await a.click('copy-link');
    const link = await a.page.evaluate(() => navigator.clipboard.readText());
    log('link copied:', link.replace(/#.*/, '#<secret>'));
    if (!link.startsWith(env.origin + '/j/') || !link.includes('#')) throw new Error('bad link on the clipboard: ' + link);
    const qrRect = await a.widget('qr');
    const qrPng = path.join(env.dir, 'qr.png');
    await a.page.screenshot({ path: qrPng, clip: { x: qrRect.x, y: qrRect.y, width: qrRect.w, height: qrRect.h } });
    const scanned = execFileSync('zbarimg', ['-q', '--raw', qrPng]).toString().trim();
    if (scanned !== link) throw new Error(`the QR code scans to ${scanned}, not to the link`);
    log('QR code scans to the link');

    const b = await openClient(ctxB, link, `B-${kindB}`);
    env.pages.push(b);
    await watch(b, 'save-1-1');
    log(`B (${kindB}) opened the link`);
    await a.waitStatus(/Connected/);
    await b.waitStatus(/Connected/);
    // Both ends name the path; on this LAN it is direct (host candidates on both sides).
    log(`A (${kindA}) path: ${(await a.status()).match(/Connection: ([^.]*)/)?.[1]}; B (${kindB}) path: ${(await b.status()).match(/Connection: ([^.]*)/)?.[1]}`);

    // Transfer time, measured in the receiving page: from the first DataChannel message that
    // arrives after the watch starts to the frame that shows the last file's Save button.
    await b.widget('in-1-0', 2 * kStepTimeoutMs);
    await shot(b, kindB, 'progress');
    const ab = await timing(b, 'save-1-1');
    const total = files.big.bytes.length + files.unicode.bytes.length;
    log(`A (${kindA}) -> B (${kindB}): ${total} bytes in ${(ab / 1000).toFixed(2)} s, ${mbPerS(total, ab)}`);
    await saveAndCheck(b, [['save-1-0', files.big], ['save-1-1', files.unicode]]);
    log('A -> B verified');
    await shot(b, kindB, 'received');

    log(`B (${kindB}) sends a file back`);
    await watch(a, 'save-1-0');
    await b.chooseFiles([files.back.path]);
    const ba1 = await timing(a, 'save-1-0');
    log(`B (${kindB}) -> A (${kindA}): ${files.back.bytes.length} bytes in ${(ba1 / 1000).toFixed(2)} s, ${mbPerS(files.back.bytes.length, ba1)}`);
    await saveAndCheck(a, [['save-1-0', files.back]]);
    log('B -> A verified');
    // The sender, too, learns that the other side has every file: its Pause button goes away.
    await b.page.waitForFunction(() => window.ferryWidgets && !window.ferryWidgets['pause-out-1'], null, { timeout: kStepTimeoutMs });
    await shot(a, kindA, 'both-ways');
    await shot(b, kindB, 'both-ways');
    if (process.env.FERRY_E2E_VERBOSE) {
      for (const p of [a, b]) console.log(`--- console of ${p.name}\n${p.console.join('\n')}`);
      if (ff) console.log(`--- ${ff.name} output\n${ff.log.join('\n')}`);
    }
  });
}
