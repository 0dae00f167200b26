// e2e.ice_restart: the receiver's network changes mid-transfer (its address is replaced, as when
// a laptop moves to another Wi-Fi): the selected ICE pair dies, the sender restarts ICE (or builds
// a new connection if that does not recover), the signalling reconnects if it broke, and the file
// arrives whole (SHA-256). Reports the recovery time and what the activity log says happened.
import { execFileSync } from 'node:child_process';

import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, limitRate, offer, openLink, percent, waitPercent } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 60 * 1000 * 1000;

function moveHost(env, host, newAddr) {
  const ns = env.lan.ns[host];
  const run = (...args) => execFileSync('ip', ['netns', 'exec', ns, ...args]);
  run('sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1');
  run('ip', 'addr', 'add', `${newAddr}/24`, 'dev', 'eth0');
  run('ip', 'addr', 'del', `${env.lan.addr[host]}/24`, 'dev', 'eth0');
  try { run('ip', 'route', 'add', 'default', 'via', env.lan.addr.server); } catch { /* kept */ }
  log(`${host} moved from ${env.lan.addr[host]} to ${newAddr}`);
}

await runScenario('ice_restart', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('moving.bin', content);
  limitRate(env.lan.ns.a, '48mbit');
  const { a, link } = await offer(env, [file]);
  const { b } = await openLink(env, link);
  await waitPercent(b, 20);
  const before = await percent(b);
  const newAddr = env.lan.addr.b.replace(/\.\d+$/, '.13');
  const t0 = Date.now();
  moveHost(env, 'b', newAddr);
  // A phone or laptop changing networks fires "online" / connection "change" events; headless
  // Chromium in a namespace does not, so the test fires the one a browser would.
  await b.page.evaluate(() => window.dispatchEvent(new Event('online')));
  await waitPercent(b, before + 20, 'Receiving', 6 * kStepTimeoutMs);
  log(`moving again ${Date.now() - t0} ms after the network change`);
  const got = await b.save('save-1-0', 6 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch after the network change');
  const logA = await activity(a);
  const recovery = logA.filter((l) => /Restarting ICE|connecting again|Connected to the other device|interrupted|Reconnected|is back|network/.test(l));
  log('A activity:', JSON.stringify(recovery));
  if (!logA.some((l) => /Restarting ICE.*the other device's network changed/.test(l))) {
    throw new Error('the transfer finished, but A never restarted ICE for the network change');
  }
  log('file intact after the network change');
});
