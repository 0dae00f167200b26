// Memory of the Chromium processes running in one test namespace, read from /proc (tests and
// benchmarks report the receiver's renderer RSS).
import fs from 'node:fs';

// { renderer: largest renderer RSS in MB, total: all Chromium processes' RSS in MB }.
export function chromiumRssMB(ns) {
  const nsIno = fs.statSync(`/run/netns/${ns}`).ino;
  const out = { renderer: 0, total: 0 };
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.statSync(`/proc/${d}/ns/net`).ino !== nsIno) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      const m = fs.readFileSync(`/proc/${d}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (!m) continue;
      const mb = Number(m[1]) / 1024;
      out.total += mb;
      if (cmd.includes('--type=renderer')) out.renderer = Math.max(out.renderer, mb);
    } catch { /* gone */ }
  }
  return out;
}
