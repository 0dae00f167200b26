// Steps several scenarios share: A offers files and hands out the link, B opens it; cutting a
// host off the network and back; reading progress from the live region.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

import { ClientPage, kRoot, kStepTimeoutMs, log } from './ferry.mjs';

export const kViewport = { width: 1000, height: 1400 };

// A (on host `host`) chooses `files` and copies the link; returns { a, link, ctx }.
// origin: where the page is loaded from (a proxy's origin, or the server's).
export async function offer(env, files, { host = 'a', name = 'A', origin = env.origin } = {}) {
  const browser = await env.browser(host, origin === env.origin ? '' : origin);
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const a = await ClientPage.open(ctx, origin + '/', name);
  env.pages.push(a);
  await a.chooseFiles(files);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  if (!link.startsWith(origin + '/j/')) throw new Error('bad link: ' + link);
  return { a, link, ctx, browser };
}

// B (on host `host`) opens the link; returns { b, ctx, browser }.
export async function openLink(env, link, { host = 'b', name = 'B', origin = env.origin } = {}) {
  const browser = await env.browser(host, origin === env.origin ? '' : origin);
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  const b = await ClientPage.open(ctx, link, name);
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

// Caps a host's outgoing bandwidth (tbf works here; netem does not), so transfers last long
// enough to interrupt them on two busy cores.
export function limitRate(ns, rate = '40mbit') {
  execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', rate,
    'burst', '256kb', 'latency', '400ms']);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Bytes A's page has put on DataChannels so far (all connections), from the glue's counters.
export async function sentBytes(page) {
  return page.page.evaluate(() => Module.ferryStats.sentBytes);
}

// Starts tamper_proxy.mjs in the server's namespace in front of ferry-server (mode "tamper" or
// "record:FILE"); resolves to { origin, output(), stop() }.
export async function startProxy(env, mode, port = 8081) {
  const proxy = spawn('ip', ['netns', 'exec', env.lan.ns.server, 'node',
    path.join(kRoot, 'tests/e2e/lib/tamper_proxy.mjs'), env.lan.addr.server, String(port),
    env.lan.addr.server, '8080', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proxy.stdout.on('data', (d) => { out += d; });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('proxy did not start')), 10000);
    const check = () => { if (out.includes('listening')) { clearTimeout(t); resolve(); } else setTimeout(check, 50); };
    check();
  });
  const exited = new Promise((r) => proxy.on('exit', r));
  return {
    origin: `http://${env.lan.addr.server}:${port}`,
    output: () => out,
    async stop() { proxy.kill('SIGTERM'); await exited; },
  };
}
