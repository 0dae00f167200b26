// A helper process inside a test namespace (the tamper proxy, the attacker client), driven by
// the scenario with commands: one JSON object per line on its stdin, one answer per line on its
// stdout ("@@ " and JSON: { id, ok, result | error }). Everything else it prints is its log.
// The child side is serveCommands(); the scenario side is startAgent().
import { spawn } from 'node:child_process';
import readline from 'node:readline';

import { kStepTimeoutMs } from './ferry.mjs';

const kAnswerMark = '@@ ';
// How long a helper gets to print its "ready" line.
const kStartTimeoutMs = 10_000;

// Child side: runs `handlers[op](args)` (async) for each command line, answers in order of
// completion. An unknown op or a throw is an error answer, never an exit.
export function serveCommands(handlers) {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      return;
    }
    const answer = (a) => process.stdout.write(kAnswerMark + JSON.stringify({ id: cmd.id, ...a }) + '\n');
    const handler = handlers[cmd.op];
    if (!handler) {
      answer({ ok: false, error: `unknown op ${cmd.op}` });
      return;
    }
    try {
      answer({ ok: true, result: (await handler(cmd.args || {})) ?? null });
    } catch (e) {
      answer({ ok: false, error: e.message });
    }
  });
}

// Scenario side: starts `node script ...args` in namespace `ns` (null: this one, for loopback);
// resolves once its output matches `ready`. command(op, args, timeout) resolves to the result or
// throws the error.
export async function startAgent(ns, script, args, { ready = /listening|ready/, name = 'agent' } = {}) {
  const argv = ns ? ['ip', 'netns', 'exec', ns, 'node'] : [process.execPath];
  const proc = spawn(argv[0], [...argv.slice(1), script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let nextId = 1;
  const waiting = new Map();
  const exited = new Promise((r) => proc.on('exit', r));
  readline.createInterface({ input: proc.stdout }).on('line', (line) => {
    if (!line.startsWith(kAnswerMark)) {
      out += line + '\n';
      return;
    }
    const a = JSON.parse(line.slice(kAnswerMark.length));
    const w = waiting.get(a.id);
    if (!w) return;
    waiting.delete(a.id);
    clearTimeout(w.timer);
    if (a.ok) w.resolve(a.result); else w.reject(new Error(`${name} ${w.op}: ${a.error}`));
  });
  await new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = () => {
      if (ready.test(out)) resolve();
      else if (proc.exitCode !== null) reject(new Error(`${name} exited:\n${out}`));
      else if (Date.now() - t0 > kStartTimeoutMs) reject(new Error(`${name} did not start:\n${out}`));
      else setTimeout(check, 50);
    };
    check();
  });
  return {
    output: () => out,
    command(op, args = {}, timeout = kStepTimeoutMs) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name} ${op}: no answer within ${timeout} ms`));
        }, timeout);
        waiting.set(id, { resolve, reject, timer, op });
        proc.stdin.write(JSON.stringify({ id, op, args }) + '\n');
      });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      for (const w of waiting.values()) clearTimeout(w.timer);
    },
  };
}
