// Real browsers for end-to-end tests: Debian's Chromium, driven by Playwright over a pipe,
// launched inside a test namespace. No browser is downloaded.
import { chromium } from 'playwright-core';

export const kChromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // Host candidates as plain IPs, so two namespaces can connect directly.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

// origin: the server's http origin, treated as secure so OPFS and File System Access exist.
export async function launchChromium(lan, host, origin, extraArgs = []) {
  const browser = await chromium.launch({
    executablePath: lan ? lan.wrapper(lan.ns[host], '/usr/bin/chromium') : '/usr/bin/chromium',
    args: [...kChromiumArgs, `--unsafely-treat-insecure-origin-as-secure=${origin}`, ...extraArgs],
    headless: true,
  });
  return browser;
}

// The same browser with a profile on disk (profileDir): a launch() context is off the record,
// and keeps OPFS in the browser's memory. Returns a BrowserContext; closing it ends the browser.
export async function launchChromiumWithProfile(lan, host, origin, profileDir, options = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: lan ? lan.wrapper(lan.ns[host], '/usr/bin/chromium') : '/usr/bin/chromium',
    args: [...kChromiumArgs, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
    headless: true,
    ...options,
  });
}
