// Real browsers for end-to-end tests: Debian's Chromium, driven by Playwright over a pipe,
// launched inside a test namespace. No browser is downloaded.
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

export const kChromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // Host candidates as plain IPs, so two namespaces can connect directly.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

const kPidFile = Symbol('ferryPidFile');

// FERRY_PIN_CPUS=a:0,b:1 pins each host's browser (every one of its processes: affinity is
// inherited) to its own core with taskset, to model two devices in the benchmarks. Unset in the
// tests.
function chromiumProgram(host) {
  const pins = Object.fromEntries((process.env.FERRY_PIN_CPUS || '').split(',').filter(Boolean)
    .map((p) => p.split(':')));
  const cpu = pins[host];
  if (cpu !== undefined && !/^\d+(-\d+)?$/.test(cpu)) throw new Error(`FERRY_PIN_CPUS: bad cpu list for ${host}: ${cpu}`);
  return cpu !== undefined ? `taskset -c ${cpu} /usr/bin/chromium` : '/usr/bin/chromium';
}

// origin: the server's http origin, treated as secure so OPFS and File System Access exist.
export async function launchChromium(lan, host, origin, extraArgs = []) {
  const executablePath = lan ? lan.wrapper(lan.ns[host], chromiumProgram(host)) : '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    args: [...kChromiumArgs, `--unsafely-treat-insecure-origin-as-secure=${origin}`, ...extraArgs],
    headless: true,
  });
  if (lan) browser[kPidFile] = path.join(path.dirname(executablePath), 'pid');
  return browser;
}

// The same browser with a profile on disk (profileDir): a launch() context is off the record,
// and keeps OPFS in the browser's memory. Returns a BrowserContext; closing it ends the browser.
export async function launchChromiumWithProfile(lan, host, origin, profileDir, options = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: lan ? lan.wrapper(lan.ns[host], chromiumProgram(host)) : '/usr/bin/chromium',
    args: [...kChromiumArgs, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
    headless: true,
    ...options,
  });
}

// The PID of the Chromium that launchChromium started in a namespace: Playwright has no
// browser.process() for a launched Browser, so the wrapper wrote it down. Checked to be the
// browser itself (its main process leads the process group Playwright made for it).
export function browserPid(browser) {
  if (!browser[kPidFile]) throw new Error('not a browser launchChromium started in a namespace');
  const pid = Number(fs.readFileSync(browser[kPidFile], 'utf8').trim());
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  if (!/chromium/.test(path.basename(exe))) throw new Error(`PID ${pid} is ${exe}, not Chromium`);
  return pid;
}

// Processes in process group `pgid` (Playwright starts each browser as a group leader).
function groupMembers(pgid) {
  const members = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state ppid pgrp ...
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') members.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return members;
}

// Kills a browser as a crash would: SIGKILL to its main process only, by the PID this test
// started. Its own children (renderers, the network service that holds its sockets) notice
// and exit; the function waits for that (bounded) and reports how long it took. Any left after
// `timeoutMs` are killed by their group id, which is that same PID.
export async function killHard(browser, timeoutMs = 15_000) {
  const pid = browserPid(browser);
  process.kill(pid, 'SIGKILL');
  const t0 = Date.now();
  for (;;) {
    const left = groupMembers(pid);
    if (left.length === 0) return { pid, childrenGoneMs: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
      return { pid, childrenGoneMs: -1, leftOver: left.length };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
