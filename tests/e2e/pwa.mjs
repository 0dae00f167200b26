// e2e.pwa: Ferry as an installed app (shell/sw.js, shell/manifest.webmanifest) in real Chromium.
// 1. A opens the page: the service worker installs, takes the page over, and caches the shell
//    under this build's hashed names; the page shows no offline notice.
// 2. A file is shared into Ferry as a phone's share sheet does it: a multipart POST to the
//    manifest's share_target, which the service worker answers (it keeps the file and
//    redirects to the page). The page that opens there starts a send with the file: it shows
//    the link, B opens it and saves the file, and its SHA-256 matches.
//    Opening a file with Ferry (the manifest's file_handlers) starts a send the same way: the
//    launch queue is the browser's, stood in for by the test (an installed app's launch cannot
//    be driven headless), and hands the page a file handle.
// 3. A new build is deployed (a changed index.html and sw.js in the web root). The next load
//    shows the new page, and the new worker replaces the old one's cache.
// 4. The server stops. A opens the page again: it comes from the cache, the client runs, and the
//    page says it needs a connection.
// The server serves a copy of the web root, which step 3 changes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const kBuiltRoot = process.env.FERRY_WEB_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname),
  '../../build/wasm/dist');
const kServedRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-pwa-root-'));
fs.cpSync(kBuiltRoot, kServedRoot, { recursive: true });
process.env.FERRY_WEB_ROOT = kServedRoot;  // read by lib/ferry.mjs when it loads (below)
process.on('exit', () => fs.rmSync(kServedRoot, { recursive: true, force: true }));
const { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } = await import('./lib/ferry.mjs');
const { kViewport, openLink, until } = await import('./lib/flows.mjs');
const { runScenario } = await import('./lib/scenario.mjs');

const kShareAction = '/share-target';  // shell/manifest.webmanifest share_target.action
const kOfflineNotice = /needs a connection/;  // shell/boot.js kOfflineText

await runScenario('pwa', async (env) => {
  const manifest = JSON.parse(fs.readFileSync(`${kServedRoot}/manifest.webmanifest`, 'utf8'));
  if (manifest.share_target?.action !== kShareAction || manifest.share_target.params?.files?.[0]?.name !== 'files' ||
      !manifest.file_handlers?.length) {
    throw new Error(`the manifest has no share_target for files or no file_handlers: ${JSON.stringify(manifest)}`);
  }
  const browser = await env.browser('a');
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });

  // 1. Install.
  const first = await ClientPage.open(ctx, env.origin + '/', 'A');
  env.pages.push(first);
  await first.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: kStepTimeoutMs });
  const cached = await first.page.evaluate(async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith('ferry-shell-'));
    const cache = await caches.open(names[0]);
    return { names, urls: (await cache.keys()).map((r) => new URL(r.url).pathname) };
  });
  log('service worker controls the page; cached:', JSON.stringify(cached));
  if (cached.names.length !== 1) throw new Error(`expected one shell cache, found ${JSON.stringify(cached.names)}`);
  for (const want of [/^\/index\.html$/, /^\/ferry\.[0-9a-f]{16}\.js$/, /^\/ferry\.[0-9a-f]{16}\.wasm$/]) {
    if (!cached.urls.some((u) => want.test(u))) throw new Error(`the shell cache has no ${want}`);
  }
  if (await first.page.locator('#ferry-offline').isVisible()) throw new Error('the offline notice shows while online');

  // 2. Share a file into Ferry.
  const shared = { name: 'shared from the share sheet.bin', bytes: randomBytes(2 * 1000 * 1000 + 3) };
  const landing = await first.page.evaluate(async ({ action, name, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append('files', new File([bytes], name, { type: 'application/octet-stream' }));
    const res = await fetch(action, { method: 'POST', body: form });
    return { redirected: res.redirected, url: res.url, status: res.status };
  }, { action: kShareAction, name: shared.name, b64: shared.bytes.toString('base64') });
  log('share-target POST answered:', JSON.stringify(landing));
  if (!landing.redirected || new URL(landing.url).pathname !== '/' || !/[?&]shared=1\b/.test(landing.url)) {
    throw new Error(`the share target did not redirect to the page with one file: ${JSON.stringify(landing)}`);
  }
  await first.page.close();
  const a = await ClientPage.open(ctx, landing.url, 'A (shared)');
  env.pages.push(a);
  await a.widget('copy-link');
  if (new URL(a.page.url()).search !== '') throw new Error(`the page kept its query: ${a.page.url()}`);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  if (!link.startsWith(env.origin + '/j/')) throw new Error('bad link: ' + link);
  log('the shared file started a send; B opens the link');
  const { b } = await openLink(env, link);
  const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
  if (got.name !== shared.name) throw new Error(`B saved ${JSON.stringify(got.name)}, not ${JSON.stringify(shared.name)}`);
  if (sha256(got.bytes) !== sha256(shared.bytes)) throw new Error('SHA-256 mismatch for the shared file');
  log(`B saved the shared file, ${got.bytes.length} bytes, SHA-256 matches`);
  // Taken once: nothing is left in the share cache for a reload to send again.
  const left = await a.page.evaluate(async () => (await (await caches.open('ferry-share')).keys()).length);
  if (left !== 0) throw new Error(`${left} shared files left in the cache after the send started`);

  // 2b. Opened with Ferry: the launch queue's consumer gets one file handle.
  await ctx.addInitScript(() => {
    if (!location.search.includes('e2e-launch')) return;
    // Chromium has a launchQueue of its own (read-only): shadowed on the window.
    Object.defineProperty(window, 'launchQueue', { configurable: true,
      value: { setConsumer(consumer) { window.ferryTestLaunch = consumer; } } });
  });
  const launched = await ClientPage.open(ctx, env.origin + '/?e2e-launch', 'A (launched)');
  env.pages.push(launched);
  await launched.page.evaluate(() => {
    const file = new File(['opened with Ferry\n'], 'opened.txt', { type: 'text/plain' });
    window.ferryTestLaunch({ files: [{ kind: 'file', name: file.name, getFile: async () => file }] });
  });
  await launched.widget('copy-link');
  log('a file opened with Ferry started a send');
  await launched.page.close();

  // 3. A new build: another page and another worker (its build id names its cache). The
  //    precompressed copies of the two go, or the server would send the old bytes.
  const oldCache = cached.names[0];
  const newBuild = oldCache.replace('ferry-shell-', '') + 'n';
  const edit = (name, from, to) => {
    const file = path.join(kServedRoot, name);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(from)) throw new Error(`${name} has no ${from}`);
    fs.writeFileSync(file, text.replace(from, to));
    for (const suffix of ['.br', '.gz']) fs.rmSync(file + suffix, { force: true });
  };
  edit('index.html', '<meta charset="utf-8">', '<meta charset="utf-8"><meta name="ferry-test-build" content="new">');
  edit('sw.js', `'${oldCache.replace('ferry-shell-', '')}'`, `'${newBuild}'`);
  const updated = await ClientPage.open(ctx, env.origin + '/', 'A (updated)');
  env.pages.push(updated);
  if (!(await updated.page.locator('meta[name="ferry-test-build"]').count())) throw new Error('the next load shows the old page');
  await until('the new worker to replace the old cache', async () => {
    const names = (await updated.page.evaluate(() => caches.keys())).filter((n) => n.startsWith('ferry-shell-'));
    return names.length === 1 && names[0] === 'ferry-shell-' + newBuild;
  }, { detail: async () => JSON.stringify(await updated.page.evaluate(() => caches.keys())) });
  log(`after a deploy, the next load shows the new page and the cache is ${'ferry-shell-' + newBuild} alone`);
  await updated.page.close();

  // 4. Offline.
  env.server.stop();
  await until('the server to exit', () => env.server.proc.exitCode !== null || env.server.proc.signalCode !== null);
  const offline = await ClientPage.open(ctx, env.origin + '/', 'A (offline)');
  env.pages.push(offline);
  await offline.page.locator('#ferry-offline').waitFor({ state: 'visible', timeout: kStepTimeoutMs });
  const notice = await offline.page.locator('#ferry-offline').textContent();
  if (!kOfflineNotice.test(notice)) throw new Error(`the offline notice says ${JSON.stringify(notice)}`);
  await offline.widget('send-files');
  await offline.screenshot('pwa-offline');
  log(`offline, the page opens from the cache and says: ${notice}`);
});
