// e2e.tamper: the signalling path is hostile. A proxy between the browsers and ferry-server
// flips one bit in the first sealed relay message (the WebRTC offer). The receiving client
// must detect it, stop with a clear error, and no file data may move.
import { ClientPage, kStepTimeoutMs, log, randomBytes } from './lib/ferry.mjs';
import { startProxy } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('tamper', async (env) => {
  const proxy = await startProxy(env, 'tamper');
  try {
    const origin = proxy.origin;
    const ba = await env.browser('a', origin);
    const bb = await env.browser('b', origin);
    const ctxA = await ba.newContext({ viewport: { width: 1000, height: 900 } });
    await ctxA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const a = await ClientPage.open(ctxA, origin + '/', 'A');
    env.pages.push(a);
    await a.chooseFiles([env.file('secret.bin', randomBytes(200000))]);
    await a.click('copy-link');
    const link = await a.page.evaluate(() => navigator.clipboard.readText());

    const b = await ClientPage.open(await bb.newContext({ viewport: { width: 1000, height: 900 } }), link, 'B');
    env.pages.push(b);
    await b.waitStatus(/altered on the way/, kStepTimeoutMs);
    await b.screenshot('tampered');
    if (!proxy.output().includes('tampered')) throw new Error('the proxy did not tamper: the test proves nothing');
    const widgets = await b.page.evaluate(() => Object.keys(window.ferryWidgets));
    if (widgets.some((k) => k.startsWith('in-') || k.startsWith('save-'))) throw new Error('data moved after tampering');
    const statusA = await a.status();
    if (/Connected/.test(statusA)) throw new Error('A reports a connection after tampering: ' + statusA);
    log('B stopped:', await b.status());
    log('A:', statusA);
  } finally {
    await proxy.stop();
  }
});
