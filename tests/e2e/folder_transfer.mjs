// e2e.folder_transfer: folders without zipping (issue 12, item 5), through the UI only.
// A tree with nested and empty folders and Unicode names is dropped on A's page (a real drop:
// Chromium's DevTools protocol carries the folder's path, and the page walks it with
// webkitGetAsEntry).
// 1. B (Chromium) sees the paths in its offer panel, accepts, and saves the tree through "Save
//    folder ... into a folder": showDirectoryPicker, which headless Chromium cannot show, is
//    answered by the test's picker hook (ClientPage.open pickFolder) with a folder in B's own
//    private storage; the test reads it back. Every file's path and SHA-256 match, and the
//    empty folders exist. A file already in the picked folder is not overwritten.
// 2. C (Firefox ESR, which has no folder picker) gets the same tree from A in a new session and
//    downloads it as one ZIP; the test unzips it (Python's zipfile, CRCs checked) and compares
//    paths, SHA-256 and the empty folders.
// 3. A then sends a folder to C through the "Send a folder" button (a webkitdirectory input):
//    its files arrive with their folders.
// Screenshots: folder-{offer-B,saved-B,offer-C-firefox,sender-A}.png in FERRY_E2E_OUT.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { openClient } from './lib/firefox.mjs';
import { activity, kViewport, openLink, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kTop = 'Trip ✈ 2026';

// The tree, relative to its parent folder: files (path -> bytes) and empty folders.
function makeTree(root) {
  const files = {
    [`${kTop}/day 1/photo.jpg`]: randomBytes(1500 * 1000 + 7),
    [`${kTop}/day 1/日本語のメモ.txt`]: Buffer.from('こんにちは、Ferry\n'.repeat(500)),
    [`${kTop}/notes.txt`]: Buffer.from('top-level notes\n'),
    [`${kTop}/Ünïcödé ✓/nested/deeper/zero.bin`]: Buffer.alloc(0),
    [`${kTop}/Ünïcödé ✓/Привет.bin`]: randomBytes(70 * 1000),
  };
  const empty = [`${kTop}/empty`, `${kTop}/day 2/nothing yet`];
  for (const [p, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), bytes);
  }
  for (const d of empty) fs.mkdirSync(path.join(root, d), { recursive: true });
  return { files, empty };
}

function compareTree(label, got, want) {
  const names = Object.keys(want.files).sort();
  const gotNames = Object.keys(got.files).sort();
  if (JSON.stringify(gotNames) !== JSON.stringify(names)) {
    throw new Error(`${label}: files ${JSON.stringify(gotNames)}, expected ${JSON.stringify(names)}`);
  }
  for (const n of names) {
    if (got.files[n] !== sha256(want.files[n])) throw new Error(`${label}: SHA-256 of ${n} differs`);
  }
  for (const d of want.empty) {
    if (!got.dirs.includes(d)) throw new Error(`${label}: the empty folder ${d} is missing (got ${JSON.stringify(got.dirs)})`);
  }
  log(`${label}: ${names.length} files (SHA-256 match) and ${want.empty.length} empty folders`);
}

// What B saved into its picked folder: files (path -> SHA-256 hex) and every folder's path.
async function pickedTree(page) {
  return page.page.evaluate(async () => {
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('ferry-e2e-picked');
    const out = { files: {}, dirs: [] };
    const walk = async (dir, prefix) => {
      for await (const [name, h] of dir.entries()) {
        const p = prefix ? `${prefix}/${name}` : name;
        if (h.kind === 'directory') {
          out.dirs.push(p);
          await walk(h, p);
        } else {
          out.files[p] = hex(await crypto.subtle.digest('SHA-256', await (await h.getFile()).arrayBuffer()));
        }
      }
    };
    await walk(root, '');
    return out;
  });
}

// A ZIP's entries, CRCs checked: files (path -> SHA-256 hex) and folders.
function unzipTree(zipPath) {
  const py = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
if bad: raise SystemExit('bad CRC: ' + bad)
out = {'files': {}, 'dirs': []}
for i in z.infolist():
    if i.is_dir(): out['dirs'].append(i.filename.rstrip('/'))
    else: out['files'][i.filename] = hashlib.sha256(z.read(i)).hexdigest()
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', py, zipPath]).toString());
}

async function waitLog(page, re, timeout = kStepTimeoutMs) {
  return until(`${page.name}'s log to show ${re}`, async () => (await activity(page)).find((l) => re.test(l)),
    { timeout, detail: async () => (await activity(page)).slice(-5).join(' | ') });
}

// A opens the home page, drops the tree and returns the session's link.
async function dropAndShare(ctx, env, root, name) {
  const a = await ClientPage.open(ctx, env.origin + '/', name);
  env.pages.push(a);
  await a.widget('send-folder');
  await a.dropPaths([path.join(root, kTop)]);
  await a.click('copy-link');
  return { a, link: await a.page.evaluate(() => navigator.clipboard.readText()) };
}

await runScenario('folder_transfer', async (env) => {
  const root = path.join(env.dir, 'tree');
  const tree = makeTree(root);
  const browserA = await env.browser('a');
  const ctxA = await browserA.newContext({ acceptDownloads: true, viewport: kViewport });
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });

  // --- 1. Chromium saves into a folder ------------------------------------------------------
  const { a, link } = await dropAndShare(ctxA, env, root, 'A');
  const { b } = await openLink(env, link, { accept: false, pickFolder: true });
  await b.widget('accept-in-1', 2 * kStepTimeoutMs);
  await b.widget('offer-tree-in-1');
  await b.waitStatus(/offers 5 files/);
  await b.screenshot('folder-offer-B');
  await a.screenshot('folder-sender-A');
  // Something of the same name already in the folder B picks: it must survive.
  await b.page.evaluate(async (top) => {
    const picked = await (await navigator.storage.getDirectory()).getDirectoryHandle('ferry-e2e-picked', { create: true });
    const dir = await picked.getDirectoryHandle(top, { create: true });
    const w = await (await dir.getFileHandle('notes.txt', { create: true })).createWritable();
    await w.write('mine: keep me');
    await w.close();
  }, kTop);
  await b.click('accept-in-1');
  await b.widget('save-tree-1', 3 * kStepTimeoutMs);
  await b.click('save-tree-1');
  await waitLog(b, /^Saved 5 files with their folders/, 2 * kStepTimeoutMs);
  await b.screenshot('folder-saved-B');
  const saved = await pickedTree(b);
  const mine = saved.files[`${kTop}/notes.txt`];
  if (mine !== sha256(Buffer.from('mine: keep me'))) throw new Error('the file already in the picked folder was overwritten');
  delete saved.files[`${kTop}/notes.txt`];
  saved.files[`${kTop}/notes.txt`] = saved.files[`${kTop}/notes (2).txt`];
  delete saved.files[`${kTop}/notes (2).txt`];
  compareTree('B (Chromium, into a picked folder)', saved, tree);

  // --- 2. Firefox downloads a ZIP -------------------------------------------------------------
  const firefox = await env.firefox('b');
  // Tall: C's page lists two received trees and their rows.
  const ctxC = await firefox.newContext({ viewport: { width: kViewport.width, height: 2400 } });
  const second = await dropAndShare(ctxA, env, root, 'A2');
  const c = await openClient(ctxC, second.link, 'C-firefox');
  env.pages.push(c);
  await c.widget('save-tree-1', 3 * kStepTimeoutMs);
  await c.screenshot('folder-offer-C-firefox');
  const zip = await c.save('save-tree-1', 2 * kStepTimeoutMs);
  if (zip.name !== `${kTop}.zip`) throw new Error(`the ZIP is called ${JSON.stringify(zip.name)}`);
  const zipPath = path.join(env.dir, 'got.zip');
  fs.writeFileSync(zipPath, zip.bytes);
  compareTree('C (Firefox, as a ZIP)', unzipTree(zipPath), tree);

  // --- 3. The folder button (webkitdirectory) -----------------------------------------------
  const picked = path.join(env.dir, 'picked');
  const small = { [`picked/a/one.txt`]: Buffer.from('one'), [`picked/two.bin`]: randomBytes(3000) };
  for (const [p, bytes] of Object.entries(small)) {
    fs.mkdirSync(path.dirname(path.join(env.dir, p)), { recursive: true });
    fs.writeFileSync(path.join(env.dir, p), bytes);
  }
  await second.a.chooseFiles(picked, 'send-folder');
  await c.widget('save-tree-2', 3 * kStepTimeoutMs);
  const zip2 = await c.save('save-tree-2', 2 * kStepTimeoutMs);
  const zip2Path = path.join(env.dir, 'got2.zip');
  fs.writeFileSync(zip2Path, zip2.bytes);
  compareTree('C (a folder chosen with the button)', unzipTree(zip2Path), { files: small, empty: [] });
});
