// e2e.relay_race: neither host can send anything but TCP to the server (no UDP at all), as in
// e2e.server_relay, so the direct attempt cannot succeed. The creator does not wait for it to
// time out (app::kDirectTimeoutMs, 15 s): after app::kRaceRelayAfterMs without a DataChannel
// the frames go through the server's relay while the direct attempt goes on. Logs how long
// after the link was opened the first data arrived; checks, from the activity log and not from
// a timing threshold, that data moved on the relay while direct was still being tried (before
// A gave the attempt up), and that the saved file's SHA-256 matches.
import { kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { activity, offer, onlyTcpToServer, openLink, percent, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kBytes = 30 * 1000 * 1000;  // about 7 s through the relay's 4 MiB/s
const kRaceLine = 'Sending through the server while a direct connection is tried';
const kGiveUpLine = /No direct connection is possible/;

await runScenario('relay_race', async (env) => {
  const content = randomBytes(kBytes);
  const file = env.file('raced.bin', content);
  onlyTcpToServer(env, 'a');
  onlyTcpToServer(env, 'b');
  const { a, link } = await offer(env, [file]);
  const t0 = Date.now();
  const { b } = await openLink(env, link);
  // The link opens once the keys are agreed (B's status says "Secured"); the first data: B's
  // live region shows at least 1% of the file.
  let securedMs = -1;
  await until('B to receive its first data', async () => {
    if (securedMs < 0 && /Secured/.test(await b.status())) securedMs = Date.now() - t0;
    return (await percent(b)) >= 1;
  }, { timeout: 3 * kStepTimeoutMs, detail: async () => `live region: "${await b.status()}"` });
  const firstDataMs = Date.now() - t0;
  if (securedMs >= 0) log(`the link opened (keys agreed) ${securedMs} ms after B opened the URL; first data ${firstDataMs - securedMs} ms after that`);
  log(`first data (1% of ${kBytes} bytes) at B ${firstDataMs} ms after B opened the URL (before the race: 16-18 s)`);
  await b.screenshot('relay-race-receiving');
  // A's live region still says the direct attempt goes on (it says so from the race until A
  // gives the attempt up, 12.5 s later; the DOM mirror follows the page's paints, hence a wait).
  await until('A to say it still tries the direct path', async () => /while a direct connection is tried/.test(await a.status()),
    { timeout: 5000, detail: async () => `A's live region: "${await a.status()}"` });
  // The activity logs' DOM mirrors follow the page's paints (at most twice a second when nobody
  // touches it): wait for the race line rather than read them once.
  await until('both activity logs to show the race', async () =>
    (await activity(a)).some((l) => l.includes(kRaceLine)) && (await activity(b)).some((l) => l.includes(kRaceLine)),
  { timeout: kStepTimeoutMs, detail: async () => `A ${JSON.stringify(await activity(a))}, B ${JSON.stringify(await activity(b))}` });
  // And A gave the attempt up (if it did by now) only after the race began.
  const aLog = await activity(a);
  const raced = aLog.findIndex((l) => l.includes(kRaceLine));
  const gaveUp = aLog.findIndex((l) => kGiveUpLine.test(l));
  if (gaveUp >= 0 && gaveUp < raced) {
    throw new Error(`A gave up the direct attempt before the race: ${JSON.stringify(aLog)}`);
  }
  await b.waitStatus(/Connection: relayed by server/);
  await a.waitStatus(/Connection: relayed by server/);
  const got = await b.save('save-1-0', 5 * kStepTimeoutMs);
  if (sha256(got.bytes) !== sha256(content)) throw new Error('SHA-256 mismatch through the relay');
  log(`file intact in ${Date.now() - t0} ms; A's log: ${JSON.stringify(await activity(a))}`);
  await a.screenshot('relay-race-sent');
});
