// The frame of a scenario: a LAN with the server, browsers, a temp folder, failure reports
// (screenshots, page consoles, server log) and clean-up. A scenario body gets the parts and
// throws on failure; the runner prints "e2e.<name>: 1 passed, 0 failed" or the reason.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchChromium } from './browser.mjs';
import { startServer } from './ferry.mjs';
import { FirefoxBrowser } from './firefox.mjs';
import { Lan } from './net.mjs';

export async function runScenario(name, body, { serverArgs = [] } = {}) {
  const lan = new Lan().up();
  const server = startServer(lan.ns.server, lan.addr.server, 8080, serverArgs);
  const origin = `http://${lan.addr.server}:8080`;
  const browsers = [];
  const pages = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-files-'));
  let failed = false;
  const env = {
    lan, server, origin, dir, pages,
    // extraOrigins: more http origins to treat as secure (e.g. a proxy's), comma-separated.
    async browser(host, extraOrigins = '') {
      const b = await launchChromium(lan, host, extraOrigins ? `${origin},${extraOrigins}` : origin);
      browsers.push(b);
      return b;
    },
    // Firefox ESR on `host` (lib/firefox.mjs): newContext({viewport}) and openClient() as for Chromium.
    async firefox(host, extraOrigins = [], extraPrefs = {}) {
      const b = await FirefoxBrowser.launch(lan.ns[host], [origin, ...extraOrigins], `firefox-${host}`, extraPrefs);
      browsers.push(b);
      return b;
    },
    file(name, bytes) {
      const p = path.join(dir, name);
      fs.writeFileSync(p, bytes);
      return p;
    },
  };
  try {
    await server.ready;
    await body(env);
    console.log(`e2e.${name}: 1 passed, 0 failed`);
  } catch (e) {
    failed = true;
    console.error(`e2e.${name} FAILED: ${e.stack || e.message}`);
    for (const p of pages) {
      try { await p.screenshot(`failure-${name}-${p.name}`); } catch { /* page gone */ }
      console.error(`--- page ${p.name}: ${await p.status().catch(() => '')}\n${p.console.slice(-30).join('\n')}`);
    }
    for (const b of browsers) {
      if (b.log) console.error(`--- ${b.name} (Firefox output)\n${b.log.slice(-60).join('\n')}`);
    }
    console.error('--- server\n' + server.output().slice(-3000));
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    server.stop();
    lan.down();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
