// The nearby scenarios (e2e.nearby_lan, e2e.nearby_hidden). nearby_lan: three browser contexts behind one NAT router (host a: one public address, the
// router's), a fourth behind the other router (host b). The three see each other's tiles on the
// home screen, with the names each generated for itself; the fourth sees none of them, and they
// do not see it. A taps B's tile and chooses a file; B's page is invited, joins, shows the offer
// with the verification words, accepts; both screens show the same words; the SHA-256 matches.
//
// e2e.nearby_hidden (nearby_hidden.mjs, the same homes): a device that ticks "Hide this device"
// disappears from the others' tiles, and comes back when it unticks it. Both take well under a
// minute.
import { kStepTimeoutMs, log, randomBytes, sha256, ClientPage } from './ferry.mjs';
import { kViewport } from './flows.mjs';
import { runScenario } from './scenario.mjs';

// A page's own generated name (kept per browser in localStorage, as a person reads it on screen).
async function ownName(p) {
  const h = await p.page.waitForFunction(() => localStorage.getItem('ferry.deviceName'), null, { timeout: kStepTimeoutMs });
  return h.jsonValue();
}

// The names on a page's tiles, from their accessible names ("Send files to Amber Heron (Computer)");
// the overlays of tiles no longer drawn stay in the page, hidden.
async function tiles(p) {
  return p.page.evaluate(() => [...document.querySelectorAll('[data-ferry-widget^="nearby-"]')]
    .filter((el) => el.style.display !== 'none')
    .map((el) => ({ id: el.dataset.ferryWidget, label: el.getAttribute('aria-label') || '' }))
    .filter((t) => t.label.startsWith('Send files to ')));
}

// Waits until the page's tiles name exactly `names` (in any order).
async function waitTiles(p, names, timeout = kStepTimeoutMs) {
  const want = [...names].sort().join('|');
  const deadline = Date.now() + timeout;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await tiles(p)).map((t) => t.label.replace(/^Send files to /, '').replace(/ \([^)]*\)$/, '')).sort().join('|');
    if (seen === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.name}: tiles show [${seen}], not [${want}]`);
}

export async function runNearby(hiddenCase) {
await runScenario(hiddenCase ? 'nearby_hidden' : 'nearby_lan', async (env) => {
  const home = await env.browser('a');
  const far = await env.browser('b');
  const open = async (browser, name, accept) => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
    const p = await ClientPage.open(ctx, env.origin + '/', name, { accept });
    env.pages.push(p);
    return p;
  };
  const a = await open(home, 'A', false);
  const b = await open(home, 'B', false);
  const c = await open(home, 'C', false);
  const d = await open(far, 'D', false);
  const names = {};
  for (const p of [a, b, c, d]) names[p.name] = await ownName(p);
  log(`names: ${JSON.stringify(names)}`);
  if (new Set(Object.values(names)).size < 4) log('two contexts drew the same name (1 in 4096): tiles are matched by name');
  await waitTiles(a, [names.B, names.C]);
  await waitTiles(b, [names.A, names.C]);
  await waitTiles(c, [names.A, names.B]);
  await waitTiles(d, []);
  log('A, B and C see each other; D (another public address) sees none of them');

  if (hiddenCase) {
    await c.click('nearby-hidden');
    await waitTiles(a, [names.B]);
    await waitTiles(b, [names.A]);
    await c.screenshot('nearby-hidden-C');
    log('C is hidden: A and B no longer list it');
    await c.click('nearby-hidden');
    await waitTiles(a, [names.B, names.C]);
    log('C shown again');
    return;
  }

  await a.screenshot('nearby-home-desktop');
  const phoneCtx = await home.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148' });
  const phone = await ClientPage.open(phoneCtx, env.origin + '/', 'Phone', { accept: false });
  env.pages.push(phone);
  names.Phone = await ownName(phone);
  await waitTiles(phone, [names.A, names.B, names.C]);
  await phone.screenshot('nearby-home-phone');
  await waitTiles(a, [names.B, names.C, names.Phone]);
  const phoneTile = (await tiles(a)).find((t) => t.label.includes(names.Phone));
  if (!/\(Phone\)$/.test(phoneTile.label)) throw new Error(`the phone's tile says ${phoneTile.label}`);
  await phoneCtx.close();

  const file = { name: 'nearby photo.jpg', bytes: randomBytes(2 * 1000 * 1000 + 3) };
  const tile = (await tiles(a)).find((t) => t.label === `Send files to ${names.B} (Computer)`);
  if (!tile) throw new Error(`A has no tile for ${names.B}`);
  log(`A taps ${names.B}'s tile and chooses a file`);
  await a.chooseFiles([env.file(file.name, file.bytes)], tile.id);
  // B's page was invited and joined; its person sees the offer with the words, and accepts.
  await b.widget('accept-in-1', 2 * kStepTimeoutMs);
  await b.screenshot('nearby-accept-B');
  await b.click('accept-in-1');
  const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(file.bytes)) throw new Error('SHA-256 mismatch');
  log(`B saved ${got.name}: SHA-256 matches`);
  const words = async (p) => p.page.evaluate(() => window.Module && Module.ferryTestSas ? Module.ferryTestSas() : '');
  const [wa, wb] = [await words(a), await words(b)];
  if (!wa || wa !== wb) throw new Error(`the verification words differ: "${wa}" / "${wb}"`);
  log('both screens show the same verification words');
  await a.screenshot('nearby-session-A');
  await b.screenshot('nearby-session-B');
  // C saw nothing of it and still lists A and B (their pages left the home screen: A and B are
  // in a session now and show no tiles).
  await waitTiles(c, []);
  await waitTiles(d, []);
});
}
