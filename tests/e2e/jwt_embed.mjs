// e2e.jwt_embed: the JWT hook seen from a browser (docs/protocol.md "JWT"). The server runs with
// --jwt-key (an HS256 secret made for this run) and --jwt-required create. A page opened the way
// an embedding site would, /?jwt=<token>, creates a room: the token went in the WebSocket
// subprotocol list, and it is gone from the address bar (kept in the tab's sessionStorage for a
// reload). A page of another tab, without a token, is refused with the words for 4014.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ClientPage, log } from './lib/ferry.mjs';
import { activity, kViewport, offer, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kTokenLifetimeS = 600;

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// An HS256 compact JWS over claims.
function hs256(secret, claims) {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const secret = crypto.randomBytes(32).toString('hex');
const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-jwt-'));
const keyFile = path.join(keyDir, 'hs256.secret');
fs.writeFileSync(keyFile, secret, { mode: 0o600 });
process.on('exit', () => fs.rmSync(keyDir, { recursive: true, force: true }));

await runScenario('jwt_embed', async (env) => {
  const token = hs256(secret, { sub: 'e2e', aud: 'ferry-e2e', exp: Math.floor(Date.now() / 1000) + kTokenLifetimeS });
  const { a, link, browser } = await offer(env, [env.file('embedded.txt', 'from an embedding site\n')],
    { page: `/?jwt=${token}&lang=en` });
  // The room exists (offer() got its link): the server admitted the token.
  const href = await a.page.evaluate(() => location.href);
  if (href.includes(token) || new URL(href).searchParams.has('jwt')) {
    throw new Error(`the token is still in the address bar (${href.length} characters)`);
  }
  if (new URL(href).searchParams.get('lang') !== 'en') throw new Error(`other parameters were lost: ${href}`);
  const kept = await a.page.evaluate(() => sessionStorage.getItem('ferry.jwt'));
  if (kept !== token) throw new Error('the token is not kept in sessionStorage for a reload');
  if (env.server.output().includes(token.split('.')[2])) throw new Error('the server logged the token');
  log(`A created a room with the token (link ${link.length} characters); its address is ${href}`);

  // Another tab (its own sessionStorage) without a token may not create.
  const ctx = await browser.newContext({ viewport: kViewport });
  const c = await ClientPage.open(ctx, env.origin + '/', 'C');
  env.pages.push(c);
  await c.chooseFiles([env.file('refused.txt', 'no token\n')]);
  const words = await until('C to be refused for want of a sign-in', async () => {
    const lines = [await c.status(), ...(await activity(c))];
    return lines.find((l) => /sign-in/.test(l));
  });
  if (!/jwt_required/.test(env.server.output())) throw new Error('the server did not log the jwt_required refusal');
  log(`C without a token: "${words}"`);
}, { serverArgs: ['--jwt-key', keyFile, '--jwt-required', 'create', '--jwt-audience', 'ferry-e2e'] });
