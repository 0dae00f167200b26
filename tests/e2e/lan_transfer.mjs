// e2e.lan_transfer: two Chromiums on two hosts of a LAN, the real ferry-server on a third.
// A chooses three files (50 MB random, empty, unicode name), copies the link; B opens it, saves
// every file, and the SHA-256 of each matches. Then B sends a file back to A in the same session.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromium } from './lib/browser.mjs';
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256, startServer } from './lib/ferry.mjs';
import { Lan } from './lib/net.mjs';

const kBigBytes = Number(process.env.FERRY_E2E_BIG_BYTES || 50 * 1000 * 1000);

const lan = new Lan().up();
const server = startServer(lan.ns.server, lan.addr.server, 8080);
const origin = `http://${lan.addr.server}:8080`;
const browsers = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-files-'));
let failed = false;
let a;
let b;

try {
  await server.ready;
  const files = {
    big: { name: 'random-50MB.bin', bytes: randomBytes(kBigBytes) },
    empty: { name: 'empty.txt', bytes: Buffer.alloc(0) },
    unicode: { name: 'naïve résumé 日本語 🚀.txt', bytes: Buffer.from('Grüße aus Ferry — ünïcödé ✓\n'.repeat(1000)) },
    back: { name: 'reply from B.bin', bytes: randomBytes(3 * 1000 * 1000 + 17) },
  };
  for (const f of Object.values(files)) fs.writeFileSync(path.join(dir, f.name), f.bytes);

  const ba = await launchChromium(lan, 'a', origin);
  const bb = await launchChromium(lan, 'b', origin);
  browsers.push(ba, bb);
  // Tall enough that the third file's Save button is on screen below "Save all" (the test clicks
  // where the button is drawn; a widget below the fold has no overlay to click).
  const ctxA = await ba.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 1200 } });
  const ctxB = await bb.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 1200 } });
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });

  a = await ClientPage.open(ctxA, origin + '/', 'A');
  await a.screenshot('home-desktop');
  log('A chooses 3 files');
  await a.chooseFiles([files.big, files.empty, files.unicode].map((f) => path.join(dir, f.name)));
  await a.widget('copy-link');
  await a.screenshot('session-desktop');
  // The QR code on screen must scan to the link itself: decode a screenshot of it.
  const qrRect = await a.widget('qr');
  const qrPng = path.join(dir, 'qr.png');
  await a.page.screenshot({ path: qrPng, clip: { x: qrRect.x, y: qrRect.y, width: qrRect.w, height: qrRect.h } });
  const scanned = execFileSync('zbarimg', ['-q', '--raw', qrPng]).toString().trim();
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  log('link copied:', link.replace(/#.*/, '#<secret>'));
  if (!link.startsWith(origin + '/j/') || !link.includes('#')) throw new Error('bad link on the clipboard: ' + link);
  if (scanned !== link) throw new Error(`the QR code scans to ${scanned}, not to the link`);
  log('QR code scans to the link');

  b = await ClientPage.open(ctxB, link, 'B');
  log('B opened the link');
  await a.waitStatus(/Connected/);
  await b.waitStatus(/Connected/);
  const sasA = await a.page.evaluate(() => window.ferryWidgets.sas !== undefined);
  if (!sasA) throw new Error('A shows no verification words');

  await b.widget('in-1-0');
  await b.screenshot('progress-desktop');
  const t0 = Date.now();
  for (const [id, f] of [['save-1-0', files.big], ['save-1-1', files.empty], ['save-1-2', files.unicode]]) {
    const got = await b.save(id, 5 * kStepTimeoutMs);
    log(`B saved ${got.name}: ${got.bytes.length} bytes`);
    if (got.name !== f.name) throw new Error(`name ${JSON.stringify(got.name)} != ${JSON.stringify(f.name)}`);
    if (sha256(got.bytes) !== sha256(f.bytes)) throw new Error(`SHA-256 mismatch for ${f.name}`);
  }
  log(`A -> B verified (${((Date.now() - t0) / 1000).toFixed(1)} s after the progress bar appeared)`);
  await b.screenshot('received-desktop');

  log('B sends a file back');
  await b.chooseFiles([path.join(dir, files.back.name)]);
  const back = await a.save('save-1-0', 5 * kStepTimeoutMs);
  if (sha256(back.bytes) !== sha256(files.back.bytes)) throw new Error('SHA-256 mismatch for the reply');
  log('B -> A verified');
  await a.screenshot('both-ways-desktop');
  console.log('e2e.lan_transfer: 1 passed, 0 failed');
} catch (e) {
  failed = true;
  console.error('e2e.lan_transfer FAILED:', e.message);
  for (const p of [a, b]) {
    if (!p) continue;
    try { await p.screenshot(`failure-${p.name}`); } catch { /* page gone */ }
    console.error((await p.status().catch(() => '')) + '\n' + p.console.slice(-30).join('\n'));
  }
  console.error(server.output().slice(-3000));
} finally {
  for (const br of browsers) await br.close().catch(() => {});
  server.stop();
  lan.down();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
