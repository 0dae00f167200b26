// e2e.short_code: a session joined by typing the short code. First a wrong code (right
// nameplate, wrong words): a clear error and no data moves. Then the right code: the file
// arrives and its SHA-256 matches.
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { runScenario } from './lib/scenario.mjs';

await runScenario('short_code', async (env) => {
  const content = randomBytes(2 * 1000 * 1000 + 5);
  const file = env.file('by-code.bin', content);
  const ba = await env.browser('a');
  const bb = await env.browser('b');
  const ctxA = await ba.newContext({ viewport: { width: 1000, height: 900 } });
  const a = await ClientPage.open(ctxA, env.origin + '/', 'A');
  env.pages.push(a);
  await a.chooseFiles([file]);
  const code = await a.shortCode();
  // The code is a password: drawn on the canvas, never written into the DOM.
  if (/\d+-[a-z]+-[a-z]+/.test(await a.status())) throw new Error('the code is in the live region');
  log('A shows code', code);

  // A wrong code: the same nameplate, other words.
  const [nameplate, w1] = code.split('-');
  const wrong = `${nameplate}-${w1 === 'orbit' ? 'velvet' : 'orbit'}-${w1 === 'orbit' ? 'orbit' : 'velvet'}`;
  const ctxW = await bb.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
  const w = await ClientPage.open(ctxW, env.origin + '/', 'wrong');
  env.pages.push(w);
  await w.type('code-input', wrong);
  await w.click('receive');
  await w.waitStatus(/Wrong code/);
  await w.screenshot('wrong-code');
  const widgets = await w.page.evaluate(() => Object.keys(window.ferryWidgets));
  if (widgets.some((k) => k.startsWith('in-') || k.startsWith('save-'))) {
    throw new Error('data moved after a wrong code: ' + widgets.join(','));
  }
  log('wrong code refused:', await w.status());
  await ctxW.close();

  // The right code.
  const ctxB = await bb.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
  const b = await ClientPage.open(ctxB, env.origin + '/', 'B');
  env.pages.push(b);
  await b.type('code-input', code.toUpperCase().replace(/-/g, ' '));  // typed loosely, as people do
  await b.click('receive');
  const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch');
  log('file received by code, SHA-256 matches');
});
