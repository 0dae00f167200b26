// e2e.attack_squat: someone who knows only the code's nameplate (the number in 82-drift-magnolia,
// said aloud or seen over a shoulder) joins by it and then stays silent, holding the room's one
// seat. The real joiner (B) opens the full link: it must still get in within 30 s (a token join
// takes the seat from an unconfirmed nameplate joiner, which the server also expires after
// 30 s) and the file arrives (SHA-256).
import { startAttacker, wsUrl } from './lib/attack.mjs';
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { offer, openLink, startProxy, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';
import { envelope } from './lib/wire.mjs';

// How soon B must be connected after opening the link, page load included (issue 9).
const kSeatWithinMs = 30_000;

await runScenario('attack_squat', async (env) => {
  const content = randomBytes(300_000);
  // A loads through a passive proxy only so the test can read the nameplate the server gave
  // (the client shows the code only on its canvas, not in the DOM).
  const proxy = await startProxy(env, 'attack');
  const attacker = await startAttacker(env);
  try {
    const { link } = await offer(env, [env.file('squatted.bin', content)], { origin: proxy.origin });
    const { nameplate } = await until('the nameplate of A\'s room',
      async () => (await proxy.command('connections')).find((c) => c.role === 'creator' && c.nameplate));
    const conn = await attacker.command('connect', { url: wsUrl(env.origin), origin: env.origin });
    await attacker.command('send', { conn, text: envelope('join', { nameplate }) });
    const joined = await attacker.command('next', { conn, types: ['joined', 'error'] });
    if (!joined.env || joined.env.type !== 'joined') throw new Error('the squatter could not join by nameplate: ' + JSON.stringify(joined));
    log(`the squatter holds the seat of nameplate ${nameplate} and says nothing`);

    const t0 = Date.now();
    const { b } = await openLink(env, link.replace(proxy.origin, env.origin));
    await b.waitStatus(/^Connected/, Math.max(1, kSeatWithinMs - (Date.now() - t0)));
    log(`B connected ${Date.now() - t0} ms after opening the link, past the squatter`);
    const gone = await attacker.command('next', { conn, types: ['error'], timeoutMs: 1000 });
    log('the squatter:', gone.closed ? `evicted (close ${gone.closed.code} ${gone.closed.reason})` :
      gone.env ? `told ${gone.env.code}` : 'still connected (but without the seat)');
    const got = await b.save('save-1-0', 3 * kStepTimeoutMs);
    if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch');
    log('file received by link; SHA-256 matches');
  } finally {
    await attacker.stop();
    await proxy.stop();
  }
});
