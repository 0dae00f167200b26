// The Chromium processes running in one test namespace, read from /proc: tests and benchmarks
// report the receiver's renderer RSS and attribute CPU time by process type.
import fs from 'node:fs';

// Calls fn(pid, cmdline) for each Chromium process in network namespace `ns`; a process that
// exits meanwhile is skipped.
export function forEachChromium(ns, fn) {
  const nsIno = fs.statSync(`/run/netns/${ns}`).ino;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.statSync(`/proc/${d}/ns/net`).ino !== nsIno) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes('chromium')) fn(d, cmd);
    } catch { /* gone */ }
  }
}

// { renderer: largest renderer RSS in MB, total: all Chromium processes' RSS in MB }.
export function chromiumRssMB(ns) {
  const out = { renderer: 0, total: 0 };
  forEachChromium(ns, (pid, cmd) => {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    if (!m) return;
    const mb = Number(m[1]) / 1024;
    out.total += mb;
    if (cmd.includes('--type=renderer')) out.renderer = Math.max(out.renderer, mb);
  });
  return out;
}
