// One file sent by link, as a person does it: A chooses the file and copies the link; B opens
// the link; both reach "Connected"; B saves the file through its Save button and its SHA-256
// must match. The scenario makes its own checks on what this returns: the pages, how long B
// took to connect, and the candidate pair each browser selected (from getStats).
import { ClientPage, kStepTimeoutMs, log, sha256, trackPeerConnections } from './ferry.mjs';

const kViewport = { width: 1000, height: 900 };

export async function transferByLink(env, { name, bytes }) {
  const file = env.file(name, bytes);
  const ba = await env.browser('a');
  const bb = await env.browser('b');
  const ctxA = await ba.newContext({ viewport: kViewport });
  await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const ctxB = await bb.newContext({ acceptDownloads: true, viewport: kViewport });
  await trackPeerConnections(ctxA);
  await trackPeerConnections(ctxB);

  const a = await ClientPage.open(ctxA, env.origin + '/', 'A');
  env.pages.push(a);
  await a.chooseFiles([file]);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  if (!link.startsWith(env.origin + '/j/') || !link.includes('#')) throw new Error('bad link on the clipboard: ' + link);

  // Connect time: from B opening the link to B's "Connected" (the data channel is open). The
  // page load (wasm download and compile) is part of it, and is also reported on its own.
  const t0 = Date.now();
  const b = await ClientPage.open(ctxB, link, 'B');
  env.pages.push(b);
  const loaded = Date.now();
  await b.waitStatus(/^Connected/);
  const connected = Date.now();
  await a.waitStatus(/^Connected/);
  const connect = { totalMs: connected - t0, loadMs: loaded - t0, afterLoadMs: connected - loaded };
  log(`B connected ${connect.totalMs} ms after opening the link (page ready after ${connect.loadMs} ms, ` +
    `then ${connect.afterLoadMs} ms to connect)`);

  const t1 = Date.now();
  const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
  if (got.name !== name) throw new Error(`saved as ${JSON.stringify(got.name)}, not ${JSON.stringify(name)}`);
  if (sha256(got.bytes) !== sha256(bytes)) throw new Error(`SHA-256 mismatch for ${name}`);
  log(`B saved ${got.name}: ${got.bytes.length} bytes, SHA-256 matches (${Date.now() - t1} ms after connecting)`);

  return { a, b, connect, pairs: { a: await a.selectedPair(), b: await b.selectedPair() } };
}

// "host 1.2.3.4:5 udp" for logs; credentials are never printed.
export function describePair(pair) {
  if (!pair) return 'none';
  const c = (x) => x ? `${x.type} ${x.address}:${x.port}${x.relayProtocol ? ` (relay over ${x.relayProtocol})` : ''}` : '?';
  return `local ${c(pair.local)} <-> remote ${c(pair.remote)} [${pair.local && pair.local.protocol}]`;
}
