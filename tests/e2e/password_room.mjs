// e2e.password_room: a room protected with a password (issue 12, item 2), through the UI only.
// 1. A ticks "Protect with a password", types one (zxcvbn, loaded then, scores it), and chooses a file: the
//    link ends in "#pw" and the code is a bare number; neither carries the password.
// 2. B opens the link: it asks for the password, and nothing joins until B types one. B types a
//    wrong one: B says "Wrong password", A counts the attempt, and B's "Try the password
//    again" asks again; with the right one the file arrives (SHA-256).
// 3. A second protected room, joined with its bare code and the password: the file arrives.
// Screenshots: password-room-{home-A,prompt-B,wrong-B,received-B,code-B}.png in FERRY_E2E_OUT.
import { ClientPage, kStepTimeoutMs, log, randomBytes } from './lib/ferry.mjs';
import { activity, expectSha, kViewport, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kPassword = 'Colombo → Kuwait 26';

// A opens Ferry, protects the room with `password` and chooses `file`; returns { a, link, code }.
async function protectedRoom(env, file, label) {
  const browser = await env.browser('a');
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: kViewport });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const a = await ClientPage.open(ctx, env.origin + '/', label);
  env.pages.push(a);
  await a.click('protect-password');
  if (await a.page.getByLabel('Password for this room').count() !== 1) {
    throw new Error('the password field has no accessible name');
  }
  await a.type('room-password', kPassword);
  // zxcvbn (loaded on demand when the box is ticked) scored it.
  await a.widget('password-strength-zxcvbn');
  // Typed into a masked field: the DOM shows dots, and the live region says nothing of it.
  const type = await a.page.evaluate(() => document.querySelector('input[data-ferry-widget="room-password"]').type);
  if (type !== 'password') throw new Error(`the password field is of type ${type}`);
  await a.screenshot(`password-room-home-${label}`);
  await a.chooseFiles([file]);
  await a.click('copy-link');
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  const code = await a.shortCode();
  if (!link.endsWith('#pw')) throw new Error(`a protected room's link should end in #pw: ${link}`);
  if (!/^\d+$/.test(code)) throw new Error(`a protected room's code should be a bare number: ${code}`);
  for (const shown of [link, code, await a.status()]) {
    if (shown.includes(kPassword)) throw new Error('the password shows in the link, code or live region');
  }
  // The password left the DOM once the room took it.
  const left = await a.page.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value).join('|'));
  if (left.includes(kPassword)) throw new Error('the password is still in a DOM field');
  log(`${label}: protected room, link ${link.replace(/j\/.*\?t=.*#/, 'j/<room>?t=<token>#')}, code ${code}`);
  return { a, link, code };
}

await runScenario('password_room', async (env) => {
  const first = randomBytes(1200 * 1000 + 7);
  const second = randomBytes(700 * 1000 + 1);

  // --- 1 and 2: by link ----------------------------------------------------------------
  const { a, link } = await protectedRoom(env, env.file('first.bin', first), 'A');
  const bb = await env.browser('b');
  const ctxB = await bb.newContext({ acceptDownloads: true, viewport: kViewport });
  const b = await ClientPage.open(ctxB, link, 'B');
  env.pages.push(b);
  await b.widget('link-password');
  await b.screenshot('password-room-prompt-B');
  if (await b.page.getByLabel("The room's password").count() !== 1 ||
      await b.page.getByRole('button', { name: 'Join with this password' }).count() !== 1) {
    throw new Error('the password prompt is not named in the accessibility tree');
  }
  if (!/Waiting for the other device/.test(await a.status())) {
    throw new Error(`A should still wait while B has not typed the password: "${await a.status()}"`);
  }
  await b.type('link-password', 'colombo → kuwait 26');
  await b.click('join-with-password');
  await b.waitStatus(/Wrong password/, 2 * kStepTimeoutMs);
  await until("A's log to count the wrong password",
    async () => (await activity(a)).find((l) => /wrong password/.test(l)));
  await b.screenshot('password-room-wrong-B');
  log('a wrong password: B says so, A counted it');
  await b.click('retry-password');
  await b.widget('link-password', 2 * kStepTimeoutMs);
  await b.type('link-password', kPassword);
  await b.click('join-with-password');
  await b.waitStatus(/Connected/, 2 * kStepTimeoutMs);
  await expectSha(b, 'save-1-0', first, 'by link with the password');
  await b.screenshot('password-room-received-B');

  // --- 3: by code ----------------------------------------------------------------------
  const { code } = await protectedRoom(env, env.file('second.bin', second), 'A2');
  const ctxC = await bb.newContext({ acceptDownloads: true, viewport: kViewport });
  const c = await ClientPage.open(ctxC, env.origin + '/', 'C');
  env.pages.push(c);
  await c.type('code-input', code);
  await c.widget('join-password');
  await c.type('join-password', kPassword);
  await c.screenshot('password-room-code-B');
  await c.click('receive');
  await c.waitStatus(/Connected/, 2 * kStepTimeoutMs);
  await expectSha(c, 'save-1-0', second, 'by code with the password');
});
