// e2e.server_relay: neither host can send anything but TCP to the server (no UDP at all, no
// TURN, no direct TCP between them), so WebRTC cannot connect. Ferry falls back to relaying the
// already-sealed frames through the server's WebSocket: the file arrives whole (SHA-256), the
// UI says "relayed by server", and a recording proxy in front of the server shows that every
// byte of the file crossed the relay and none of it in the clear.
import fs from 'node:fs';
import path from 'node:path';

import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { offer, onlyTcpToServer, openLink, startProxy } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 12 * 1000 * 1000;

await runScenario('server_relay', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('through-the-server.bin', content);
  onlyTcpToServer(env, 'a');
  onlyTcpToServer(env, 'b');
  const recording = path.join(env.dir, 'relayed.bin');
  const proxy = await startProxy(env, `record:${recording}`);
  try {
    const { a, link } = await offer(env, [file], { origin: proxy.origin });
    const t0 = Date.now();
    const { b } = await openLink(env, link, { origin: proxy.origin });
    await b.waitStatus(/Connection: relayed by server/, 3 * kStepTimeoutMs);
    await a.waitStatus(/Connection: relayed by server/);
    log(`relayed by server after ${Date.now() - t0} ms (the direct attempt gets 15 s)`);
    await b.screenshot('server-relay-receiving');
    const got = await b.save('save-1-0', 5 * kStepTimeoutMs);
    if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch through the relay');
    log(`file intact through the relay in ${Date.now() - t0} ms`);
  } finally {
    await proxy.stop();
  }
  // What the relay carried: all of the file's size, none of its content.
  const relayed = fs.readFileSync(recording);
  if (relayed.length < kBytes) throw new Error(`the relay carried ${relayed.length} bytes, less than the file`);
  let probes = 0;
  for (let at = 0; at + 32 <= content.length; at += 99_991) {
    if (relayed.indexOf(content.subarray(at, at + 32)) >= 0) throw new Error(`plaintext at file offset ${at} crossed the server`);
    probes += 1;
  }
  log(`the relay carried ${relayed.length} bytes (both legs: into and out of the server); none of ${probes} 32-byte windows of the file appear in them`);
});
