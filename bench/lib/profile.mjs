// bench/lib/profile.mjs: CDP CPU profiles of a page (self time by function, with wasm
// function names when the profiling build is served: bench/README.md) and counts of the WebGL
// calls that matter for painting. Used by bench/throughput/profile.mjs and bench/folder/run.mjs.
// Counts, in every page of the context, the WebGL2 calls that matter for painting.
export async function countGlCalls(ctx) {
  await ctx.addInitScript(() => {
    const counts = { clear: 0, getParameter: 0, getError: 0, drawElements: 0 };
    window.ferryGlCounts = counts;
    const proto = window.WebGL2RenderingContext && window.WebGL2RenderingContext.prototype;
    if (!proto) return;
    for (const name of Object.keys(counts)) {
      const original = proto[name];
      proto[name] = function counted(...args) {
        counts[name] += 1;
        return original.apply(this, args);
      };
    }
  });
}

export async function startProfile(page, intervalUs = 200) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
  const gl = await page.evaluate(() => ({ ...window.ferryGlCounts }));
  return { cdp, gl, t0: Date.now() };
}

export async function stopProfile(page, started) {
  const { profile } = await started.cdp.send('Profiler.stop');
  const gl = await page.evaluate(() => ({ ...window.ferryGlCounts }));
  const seconds = (Date.now() - started.t0) / 1000;
  await started.cdp.detach();
  const glDelta = {};
  for (const k of Object.keys(gl)) glDelta[k] = gl[k] - started.gl[k];
  return { profile, gl: glDelta, seconds };
}

// Self time by function: each sample is charged to the node on top of the stack.
export function selfTimes(profile) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; ++i) {
    const us = profile.timeDeltas[i] || 0;
    const { callFrame } = byNode.get(profile.samples[i]);
    const file = callFrame.url ? callFrame.url.split('/').pop() : '';
    const key = `${callFrame.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
    byFunction.set(key, (byFunction.get(key) || 0) + us);
    total += us;
  }
  const rows = [...byFunction.entries()].sort((x, y) => y[1] - x[1]);
  return { total, rows };
}

export function printProfile(name, result, top = 25) {
  const { total, rows } = selfTimes(result.profile);
  const busy = total - rows.filter(([k]) => k.startsWith('(idle)')).reduce((s, [, us]) => s + us, 0);
  const gl = result.gl;
  const perPaint = gl.clear > 0 ? (gl.getParameter / gl.clear).toFixed(1) : 'n/a';
  console.log(`\n== page ${name}: ${(total / 1e6).toFixed(1)} s profiled, main thread busy ${(100 * busy / total).toFixed(0)}%`);
  if (gl.clear !== undefined) console.log(`   WebGL: ${gl.clear} paints (${(gl.clear / result.seconds).toFixed(1)}/s), ${gl.getParameter} getParameter `
    + `(${perPaint} per paint), ${gl.getError} getError, ${gl.drawElements} drawElements`);
  console.log('   self %   self ms  function');
  for (const [key, us] of rows.slice(0, top)) {
    console.log(`   ${(100 * us / total).toFixed(1).padStart(6)}  ${(us / 1000).toFixed(0).padStart(8)}  ${key}`);
  }
}

