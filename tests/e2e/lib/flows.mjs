// Steps several scenarios share: A offers files and hands out the link, B opens it; cutting a
// host off the network and back; reading progress from the live region.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { startAgent } from './agent.mjs';
import { ClientPage, kRoot, kStepTimeoutMs, log, sha256, trackPeerConnections } from './ferry.mjs';

export const kViewport = { width: 1000, height: 1400 };

// A (on host `host`) chooses `files` and copies the link; returns { a, link, ctx }.
// origin: where the page is loaded from (a proxy's origin, or the server's); page: the address
// opened there ('/?jwt=...' as an embedding site would). track: keep the page's
// RTCPeerConnections for the test (trackPeerConnections).
export async function offer(env, files, { host = 'a', name = 'A', origin = env.origin, page = '/', track = false } = {}) {
  const browser = await env.browser(host, origin === env.origin ? '' : origin);
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  if (track) await trackPeerConnections(ctx);
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const a = await ClientPage.open(ctx, origin + page, name);
  env.pages.push(a);
  await a.chooseFiles(files);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  if (!link.startsWith(origin + '/j/')) throw new Error('bad link: ' + link);
  return { a, link, ctx, browser };
}

// B (on host `host`) opens the link; returns { b, ctx, browser }.
// accept: B's person accepts every offer as it appears (false: the test answers them).
export async function openLink(env, link, { host = 'b', name = 'B', origin = env.origin, track = false, accept = true,
  pickFolder = false } = {}) {
  const browser = await env.browser(host, origin === env.origin ? '' : origin);
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  if (track) await trackPeerConnections(ctx);
  const b = await ClientPage.open(ctx, link, name, { accept, pickFolder });
  env.pages.push(b);
  return { b, ctx, browser };
}

// Percent of the first transfer in a direction, from the live region ("Receiving 30%."), or -1.
export async function percent(page, word = 'Receiving') {
  const m = (await page.status()).match(new RegExp(`${word}(?: [a-z]+)? (\\d+)%`));
  return m ? Number(m[1]) : -1;
}

export async function waitPercent(page, atLeast, word = 'Receiving', timeout = 3 * kStepTimeoutMs) {
  await page.page.waitForFunction(({ w, n }) => {
    const m = document.getElementById('ferry-live').textContent.match(new RegExp(`${w}(?: [a-z]+)? (\\d+)%`));
    return m && Number(m[1]) >= n;
  }, { w: word, n: atLeast }, { timeout, polling: 100 });
}

// Drops (on = true) or lets through again every packet of a host's network interface.
export function cut(ns, on) {
  for (const chain of [['INPUT', '-i'], ['OUTPUT', '-o']]) {
    execFileSync('ip', ['netns', 'exec', ns, 'iptables', on ? '-I' : '-D', chain[0], chain[1], 'eth0', '-j', 'DROP']);
  }
  log(on ? `cut ${ns} off the network` : `${ns} is back on the network`);
}

// Lets a host reach only the server's TCP ports: no UDP, no TCP to the other host (WebRTC cannot
// connect; only the server's data relay can carry frames).
export function onlyTcpToServer(env, host) {
  const ns = env.lan.ns[host];
  const run = (...args) => execFileSync('ip', ['netns', 'exec', ns, 'iptables', ...args]);
  run('-A', 'OUTPUT', '-o', 'eth0', '-p', 'tcp', '-d', env.lan.addr.server, '-j', 'ACCEPT');
  run('-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP');
  run('-A', 'INPUT', '-i', 'eth0', '-p', 'tcp', '-s', env.lan.addr.server, '-j', 'ACCEPT');
  run('-A', 'INPUT', '-i', 'eth0', '-j', 'DROP');
}

// The lines of a page's activity log (its DOM mirror, #ferry-log).
export async function activity(page) {
  return page.page.evaluate(() => [...document.querySelectorAll('#ferry-log li')].map((li) => li.textContent));
}

// Saves file `id` on `page` (as ClientPage.save), but fails at once if `watched`'s activity log
// shows a line matching `bad` first (a client that gave up would otherwise cost the whole wait).
export async function saveUnless(page, id, watched, bad, timeout = 3 * kStepTimeoutMs) {
  let done = false;
  const gaveUp = until(`${watched.name}'s log to match ${bad}`, async () => done ||
    (await activity(watched)).find((l) => bad.test(l)), { timeout, everyMs: 250 });
  gaveUp.catch(() => {});
  try {
    return await Promise.race([page.save(id, timeout), gaveUp.then((line) => {
      if (line === true) return null;
      throw new Error(`${watched.name} logged "${line}" instead of ${page.name} receiving ${id}`);
    })]);
  } finally {
    done = true;
  }
}

// Caps a host's outgoing bandwidth (tbf works here; netem does not), so transfers last long
// enough to interrupt them on two busy cores.
export function limitRate(ns, rate = '40mbit') {
  execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', rate,
    'burst', '256kb', 'latency', '400ms']);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The CHUNK frame bytes a page sent, on its DataChannels and through the server's relay alike
// (core.js counts them at both sends): a resend that travels during a race counts too.
export async function sentBytes(page) {
  return page.page.evaluate(() => Module.ferryStats.chunkBytesSent);
}

// Starts tamper_proxy.mjs in the server's namespace in front of ferry-server (mode "tamper",
// "record:FILE" or "attack"); resolves to { origin, output(), command(op, args), stop() }
// (commands: see tamper_proxy.mjs).
export async function startProxy(env, mode, port = 8081) {
  const proxy = await startAgent(env.lan.ns.server, path.join(kRoot, 'tests/e2e/lib/tamper_proxy.mjs'),
    [env.lan.addr.server, String(port), env.lan.addr.server, '8080', mode], { ready: /listening/, name: 'proxy' });
  return { origin: `http://${env.lan.addr.server}:${port}`, ...proxy };
}

// Polls `probe` (async; returns something truthy when done) every `everyMs` until it holds, at
// most `timeout` ms. `what` names the wait in the error, with `detail()` if given.
export async function until(what, probe, { timeout = kStepTimeoutMs, everyMs = 100, detail = null } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (detail ? ` (${await detail()})` : ''));
    }
    await sleep(everyMs);
  }
}

// The transfers a page's live region names, in its order (the page's outgoing transfers by
// id, then its incoming ones; one with no size known yet is left out): [{ dir: 'Sending' |
// 'Receiving', state: 'moving' | 'paused' | 'cancelled' | 'complete' | 'failed' | 'waiting' |
// 'waiting to be accepted' | 'offered' | 'declined', percent (rounded down to tens) }].
export function parseTransfers(text) {
  return [...text.matchAll(/(Sending|Receiving)(?: ([a-z]+(?: [a-z]+)*))? (\d+)%\./g)]
    .map((m) => ({ dir: m[1], state: m[2] || 'moving', percent: Number(m[3]) }));
}

export async function transfers(page) {
  return parseTransfers(await page.status());
}

// Waits until transfer `n` (0-based, live-region order) of `page` is in `state` (any state if
// not given) with at least `atLeast` percent; returns it.
export async function waitTransfer(page, n, { state = null, atLeast = 0 } = {}, timeout = 3 * kStepTimeoutMs) {
  return until(`${page.name}'s transfer #${n} ${state || ''} at ${atLeast}% or more`, async () => {
    const t = (await transfers(page))[n];
    return t && (!state || t.state === state) && t.percent >= atLeast ? t : null;
  }, { timeout, detail: async () => `live region: "${await page.status()}"` });
}

// Test instrumentation inside a page (the client does not notice): remembers every widget id
// the UI ever published (window.ferryTestSeen), and counts the file reads the glue answered,
// so pendingReads() can tell when none is outstanding. Call it before any transfer starts.
export async function instrument(page) {
  await page.page.evaluate(() => {
    const glue = Module.ferryGlue;
    const seen = new Set(Object.keys(window.ferryWidgets || {}));
    window.ferryTestSeen = seen;
    const publish = glue.publishWidgets;
    glue.publishWidgets = function (json) {
      publish.call(this, json);
      for (const id of Object.keys(window.ferryWidgets)) seen.add(id);
    };
    // The glue counts the reads it answered (with bytes or with an error): Module.ferryStats.
    window.ferryTestReads = { asked0: Module.ferryStats.reads, answered0: Module.ferryStats.readsDone };
    Object.defineProperty(window.ferryTestReads, 'answered', { get: () => Module.ferryStats.readsDone - window.ferryTestReads.answered0 });
  });
}

// File reads the page asked the glue for and has not got back yet (needs instrument()).
export async function pendingReads(page) {
  return page.page.evaluate(() => Module.ferryStats.reads - window.ferryTestReads.asked0 - window.ferryTestReads.answered);
}

// Whether the UI of `page` ever showed widget `id` since instrument() (needs instrument()).
export async function everShown(page, id) {
  return page.page.evaluate((w) => window.ferryTestSeen.has(w), id);
}

// Checks that a sender puts nothing more on the wire: once `settled()` holds and no file read
// is outstanding, sentBytes is sampled, and again after `watchMs`; the two must be equal.
// This is no timing threshold: the wait for the first sample is on events (the pause or cancel
// shown, the last read answered: a read already in flight when the pause arrives is still sent,
// by design), and after that a correct client sends nothing at all, however slow the machine.
// watchMs only bounds how long we look: a slower machine can make the check see less, never
// fail a client that is right.
export async function expectNoMoreSent(page, settled, watchMs) {
  await until(`${page.name} to settle (no file read outstanding)`,
    async () => (await settled()) && (await pendingReads(page)) === 0,
    { detail: async () => `${await pendingReads(page)} reads pending; live region: "${await page.status()}"` });
  const before = await sentBytes(page);
  await sleep(watchMs);
  const after = await sentBytes(page);
  if (after !== before) {
    throw new Error(`${page.name} went on sending: ${after - before} more bytes on the channel in ${watchMs} ms`);
  }
  return before;
}

// Names of the files a page's client keeps in its private storage (OPFS) for incoming transfers.
export async function storedIncoming(page) {
  return page.page.evaluate(async () => {
    const names = [];
    try {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('ferry-incoming');
      for await (const name of dir.keys()) names.push(name);
    } catch { /* no incoming folder yet */ }
    return names;
  });
}

// Saves file `id` on `page` through its Save button; its SHA-256 must be that of `content`.
export async function expectSha(page, id, content, label) {
  const got = await page.save(id, 3 * kStepTimeoutMs);
  if (got.bytes.length !== content.length || sha256(got.bytes) !== sha256(content)) {
    throw new Error(`${label}: SHA-256 mismatch (${got.bytes.length} of ${content.length} bytes)`);
  }
  log(`${label}: saved as "${got.name}", SHA-256 matches`);
  return got;
}
