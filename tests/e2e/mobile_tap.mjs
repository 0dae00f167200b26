// e2e.mobile_tap: the receiver is a phone (Chromium mobile emulation: 390x844, touch, DPR 3).
// It taps the code field, types on the on-screen keyboard, taps Receive, taps Accept on the
// offer panel (screenshot offer-mobile.png) and taps Save.
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('mobile_tap', async (env) => {
  const content = randomBytes(1500 * 1000 + 3);
  const file = env.file('holiday video.mp4', content);
  const ba = await env.browser('a');
  const bb = await env.browser('b');
  const a = await ClientPage.open(await ba.newContext({ viewport: { width: 1000, height: 900 } }), env.origin + '/', 'A');
  env.pages.push(a);
  await a.chooseFiles([file]);
  const code = await a.shortCode();
  // The code is a password: drawn on the canvas, never written into the DOM.
  if (/\d+-[a-z]+-[a-z]+/.test(await a.status())) throw new Error('the code is in the live region');

  const phone = await bb.newContext({
    acceptDownloads: true, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3,
    isMobile: true, hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36',
  });
  const b = await ClientPage.open(phone, env.origin + '/', 'phone', { accept: false });
  env.pages.push(b);
  b.tap = async (id) => {
    const r = await b.widget(id);
    await b.page.touchscreen.tap(r.x + r.w / 2, r.y + r.h / 2);
  };
  await b.screenshot('home-mobile');
  await b.tap('code-input');
  const focused = await b.page.evaluate(() => document.activeElement && document.activeElement.dataset.ferryWidget);
  if (focused !== 'code-input') throw new Error('a tap on the code field did not focus a text input (no keyboard)');
  await b.page.keyboard.type(code, { delay: 20 });
  await b.tap('receive');
  await b.waitStatus(/Connected/);
  await b.widget('accept-in-1');
  await b.screenshot('offer-mobile');
  await b.tap('accept-in-1');
  await b.widget('in-1-0');
  await b.screenshot('progress-mobile');
  await b.widget('save-1-0', 3 * kStepTimeoutMs);
  const [download] = await Promise.all([b.page.waitForEvent('download', { timeout: kStepTimeoutMs }), b.tap('save-1-0')]);
  const bytes = (await import('node:fs')).readFileSync(await download.path());
  if (sha256(bytes) !== sha256(content)) throw new Error('SHA-256 mismatch');
  await b.screenshot('received-mobile');
  log('phone received the file by tapping; SHA-256 matches');
});
