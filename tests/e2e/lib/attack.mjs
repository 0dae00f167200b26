// The attacker's side of the security scenarios (e2e.attack_*): the scripted attacker client
// (attacker_client.mjs) started in a test namespace, and what an attacker learns from a link.
import path from 'node:path';

import { startAgent } from './agent.mjs';
import { kRoot } from './ferry.mjs';

// Starts attacker_client.mjs in the server's namespace (its own address: the browsers' per-IP
// budgets are not touched); resolves to { command(op, args), output(), stop() }.
export async function startAttacker(env, ns = env.lan.ns.server) {
  return startAgent(ns, path.join(kRoot, 'tests/e2e/lib/attacker_client.mjs'), [],
    { ready: /attacker ready/, name: 'attacker' });
}

// The parts of a link https://host/j/<room>?t=<token>#<fragment>: what a proxy log, a link
// scanner or synced history holds is everything but `fragment`.
export function linkParts(link) {
  const u = new URL(link);
  const m = u.pathname.match(/^\/j\/([^/]+)$/);
  if (!m) throw new Error('not a join link: ' + u.pathname);
  return { origin: u.origin, room: m[1], token: u.searchParams.get('t'), fragment: u.hash.slice(1) };
}

// The signalling WebSocket URL of an http(s) origin.
export function wsUrl(origin) {
  return origin.replace(/^http/, 'ws') + '/ws';
}
