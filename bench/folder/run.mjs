// bench/folder: a folder of many small files (issue 12, item 5: "10,000 small files, which also
// need a benchmark") against one file of the same total size, sent in the same run between two
// Chromiums on the LAN, through the real UI: A drops the folder (a real drop, lib/ferry.mjs
// dropPaths), B accepts and saves the tree into a picked folder (the test's picker hook, which
// answers with a folder in B's private storage).
//
//   node bench/folder/run.mjs [--files 10000] [--bytes 1000] [--rounds 1] [--profile 25]
//
// --profile N records CDP CPU profiles of both pages while the folder moves and while B saves
// it, and prints the top N functions by self time (serve build/wasm-profile/web for wasm names).
//
// Reports per round: time from B's Accept to "All files received", files/s and MB/s; the same
// for the one big file; the ratio (folder time / one file's time); and the time to save the tree.
import fs from 'node:fs';
import path from 'node:path';

import { ClientPage, kStepTimeoutMs, log, randomBytes } from '../../tests/e2e/lib/ferry.mjs';
import { activity, kViewport, openLink, until } from '../../tests/e2e/lib/flows.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { printProfile, startProfile, stopProfile } from '../lib/profile.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const kFiles = arg('files', 10000);
const kBytes = arg('bytes', 1000);
const kRounds = arg('rounds', 1);
const kProfileTop = arg('profile', 0);
const kPerFolder = 100;  // files per subfolder, like a photo library's days

async function waitLog(page, re, timeout) {
  return until(`${page.name}'s log to show ${re}`, async () => (await activity(page)).find((l) => re.test(l)),
    { timeout, everyMs: 200, detail: async () => (await activity(page)).slice(-3).join(' | ') });
}

// One transfer from a fresh pair of pages: A drops `what`, B accepts; returns the times in ms.
async function transfer(env, ctxA, what, label, saveTree) {
  const a = await ClientPage.open(ctxA, env.origin + '/', `A-${label}`);
  env.pages.push(a);
  await a.widget('send-folder');
  await a.dropPaths([what]);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  const { b, ctx } = await openLink(env, link, { accept: false, pickFolder: true, name: `B-${label}` });
  await b.widget('accept-in-1', Number(process.env.FERRY_BENCH_OFFER_MS || 10 * kStepTimeoutMs));
  const profiling = kProfileTop > 0 && saveTree;
  const started = profiling ? { A: await startProfile(a.page), B: await startProfile(b.page) } : null;
  const t0 = Date.now();
  await b.click('accept-in-1');
  const watch = setInterval(() => {
    b.status().then((st) => log(`${b.name}: ${st.slice(-60)}`)).catch(() => {});
    if (process.env.FERRY_BENCH_SHOTS) b.screenshot(`bench-folder-${label}-B-${Date.now() - t0}`).catch(() => {});
  }, 15000);
  try {
    await waitLog(b, /^All files received/, 30 * kStepTimeoutMs);
  } finally {
    clearInterval(watch);
  }
  const receive = Date.now() - t0;
  if (started) {
    printProfile(`A sending ${label}`, await stopProfile(a.page, started.A), kProfileTop);
    printProfile(`B receiving ${label}`, await stopProfile(b.page, started.B), kProfileTop);
  }
  let save = 0;
  if (saveTree) {
    await b.widget('save-tree-1', 10 * kStepTimeoutMs);
    const saving = profiling ? await startProfile(b.page) : null;
    const t1 = Date.now();
    await b.click('save-tree-1');
    await waitLog(b, /^Saved \d+ files with their folders/, 30 * kStepTimeoutMs);
    save = Date.now() - t1;
    if (saving) printProfile(`B saving ${label}`, await stopProfile(b.page, saving), kProfileTop);
  }
  await b.screenshot(`bench-folder-${label}-B`);
  await a.page.close();
  await ctx.close();
  return { receive, save };
}

await runScenario('bench_folder', async (env) => {
  const root = path.join(env.dir, 'many');
  const top = path.join(root, 'Library');
  const total = kFiles * kBytes;
  for (let i = 0; i < kFiles; ++i) {
    const dir = path.join(top, `day ${String(Math.floor(i / kPerFolder)).padStart(3, '0')}`);
    if (i % kPerFolder === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `IMG_${String(i).padStart(5, '0')}.txt`), randomBytes(kBytes));
  }
  const oneDir = path.join(env.dir, 'one');
  fs.mkdirSync(path.join(oneDir, 'Single'), { recursive: true });
  fs.writeFileSync(path.join(oneDir, 'Single', 'all.bin'), randomBytes(total));
  log(`${kFiles} files of ${kBytes} bytes (${(total / 1e6).toFixed(1)} MB) against one file of the same size`);

  const browserA = await env.browser('a');
  const ctxA = await browserA.newContext({ acceptDownloads: true, viewport: kViewport });
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const rows = [];
  for (let r = 0; r < kRounds; ++r) {
    const one = await transfer(env, ctxA, path.join(oneDir, 'Single'), `one-${r}`, false);
    const many = await transfer(env, ctxA, top, `many-${r}`, true);
    const row = {
      round: r + 1,
      folder_s: (many.receive / 1000).toFixed(1),
      files_per_s: Math.round(kFiles / (many.receive / 1000)),
      folder_MBps: (total / 1e6 / (many.receive / 1000)).toFixed(2),
      one_file_s: (one.receive / 1000).toFixed(1),
      ratio: (many.receive / one.receive).toFixed(1),
      save_tree_s: (many.save / 1000).toFixed(1),
    };
    rows.push(row);
    log(JSON.stringify(row));
  }
  console.log('| round | folder s | files/s | folder MB/s | one file s | folder / one file | save tree s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.round} | ${r.folder_s} | ${r.files_per_s} | ${r.folder_MBps} | ${r.one_file_s} | ${r.ratio}x | ${r.save_tree_s} |`);
  }
});
