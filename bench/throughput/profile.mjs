// bench/throughput/profile.mjs: where the CPU goes during one Ferry transfer. Records a CDP CPU
// profile of both pages (sender A, receiver B) from the first chunk received to the file verified,
// and prints self time by function (top N), the CPU per Chromium process type over the same
// window (as run.mjs attributes it from /proc; run.mjs also counts page start-up), and what the pages asked of WebGL: paints (glClear calls) and
// synchronous state queries (getParameter / getError), counted by wrapping WebGL2's prototype.
//
//   node bench/throughput/profile.mjs [--mb 100] [--top 25] [--interval-us 200] [--screenshot 30]
//   node bench/throughput/profile.mjs --idle 10   (the cost of one paint: see idlePaintCost)
//
// For wasm function names, serve the profiling build (see bench/README.md):
//   FERRY_WEB_ROOT=build/wasm-profile/dist node bench/throughput/profile.mjs
// --screenshot P saves the receiver's page when its live region says P% (build/e2e/profile-B-P.png).
import { ClientPage, kOut, log, randomBytes } from '../../tests/e2e/lib/ferry.mjs';
import { runScenario } from '../../tests/e2e/lib/scenario.mjs';
import { countGlCalls, printProfile, startProfile, stopProfile } from '../lib/profile.mjs';
import { arg, benchBrowsers, cpuByType, cpuDelta, ferryRound } from './run.mjs';

const kMB = arg('mb', 100);
const kTop = arg('top', 25);
// Chromium's default sampling interval is 1000 us; finer shows short wasm functions.
const kIntervalUs = arg('interval-us', 200);
const kScreenshotPct = arg('screenshot', 0);
const kIdleSeconds = arg('idle', 0);

// One page, nobody touching it, no transfer: it repaints once a second (the elapsed times), so
// the CPU its GPU process and renderer use per paint is the cost of a paint (the renderer's
// includes the frame loop's ticks between paints).
async function idlePaintCost(env) {
  const ba = await env.browser('a');
  const ctx = await ba.newContext({ viewport: { width: 1000, height: 900 } });
  await countGlCalls(ctx);
  const a = await ClientPage.open(ctx, env.origin + '/', 'A');
  await a.page.waitForFunction(() => window.ferryGlCounts.clear > 3, null, { timeout: 10_000 });
  const c0 = cpuByType(env.lan.ns.a);
  const n0 = await a.page.evaluate(() => window.ferryGlCounts.clear);
  const until = n0 + kIdleSeconds;
  await a.page.waitForFunction((n) => window.ferryGlCounts.clear >= n, until, { timeout: 3000 * kIdleSeconds, polling: 1000 });
  const c1 = cpuByType(env.lan.ns.a);
  const paints = (await a.page.evaluate(() => window.ferryGlCounts.clear)) - n0;
  const ms = (k) => ((c1[k] - c0[k]) * 1000 / paints).toFixed(1);
  console.log(`idle page: ${paints} paints; per paint: gpu ${ms('gpu')} ms, renderer ${ms('renderer')} ms, browser ${ms('browser')} ms`);
}

await runScenario('bench_profile', async (env) => {
  if (kIdleSeconds > 0) {
    await idlePaintCost(env);
    return;
  }
  const file = env.file('profile.bin', randomBytes(kMB * 1000 * 1000));
  const { ba, bb, close } = await benchBrowsers(env);
  let started = null;
  let results = null;
  let cpu = null;
  let ca = null;
  let cb = null;
  await ferryRound(env, ba, bb, file, kMB * 1e6, async (a, b) => {
    cpu = { sender: cpuDelta(ca, cpuByType(env.lan.ns.a), kMB), receiver: cpuDelta(cb, cpuByType(env.lan.ns.b), kMB) };
    results = { A: await stopProfile(a.page, started.A), B: await stopProfile(b.page, started.B) };
  }, {
    onContext: countGlCalls,
    onStart: async (a, b) => {
      ca = cpuByType(env.lan.ns.a);
      cb = cpuByType(env.lan.ns.b);
      started = { A: await startProfile(a.page, kIntervalUs), B: await startProfile(b.page, kIntervalUs) };
      if (kScreenshotPct > 0) {
        await b.waitStatus(new RegExp(`Receiving ${kScreenshotPct}%`));
        log(`screenshot: ${await b.screenshot(`profile-B-${kScreenshotPct}`)}`);
      }
    },
  });
  for (const [name, r] of Object.entries(results)) printProfile(name, r, kTop);
  console.log(`\nCPU s per 100 MB by process type, while profiled (first chunk to verified; screenshots in ${kOut}):`);
  console.log(`  sender   ${JSON.stringify(cpu.sender)}`);
  console.log(`  receiver ${JSON.stringify(cpu.receiver)}`);
  await close();
});
