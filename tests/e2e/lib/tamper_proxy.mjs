// A man in the middle of the signalling path: proxies HTTP and the /ws WebSocket to the real
// ferry-server, and acts as a malicious server would. Modes:
//   tamper        (e2e.tamper) flips one bit in the first sealed relay payload (kind 3) it carries;
//   record:FILE   (e2e.server_relay) changes nothing and appends every binary message, in both
//                 directions, to FILE: all that the server's data relay saw;
//   attack        changes nothing by itself; the scenario drives it with commands (lib/agent.mjs,
//                 startProxy in flows.mjs) to inject, drop, replay and reorder relay messages and
//                 to inject binary frames, on the connection of the creator or of the joiner.
// Every mode answers commands. Connections are told apart by their first message: `create`
// makes the creator's, `join` the joiner's, `rejoin` whichever `joined.creator` says.
// Directions: "up" is browser -> server, "down" is server -> browser. A command aimed at a role
// uses that role's newest connection.
// Usage: node tamper_proxy.mjs LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT [MODE]
// (LISTEN_PORT 0: any free port, named in the "listening" line)
import fs from 'node:fs';
import http from 'node:http';

import { WebSocket, WebSocketServer } from 'ws';

import { serveCommands } from './agent.mjs';
import { decodeRelay, forgedFrames, forgeHelloLike, parseEnvelope, relayEnvelope, RelayKind } from './wire.mjs';

const [host, port, upHost, upPort, mode = 'tamper'] = process.argv.slice(2);
const recordTo = mode.startsWith('record:') ? fs.openSync(mode.slice(7), 'a') : null;
let tampered = mode === 'tamper' ? 0 : -1;  // -1: never tamper
let recorded = 0;
function record(data) {
  fs.writeSync(recordTo, data);
  recorded += data.length;
}

// --- connections and what crossed them ---------------------------------------------------------
const connections = [];
// Rules applied to relay messages as they pass: { role, dir, kind, sub, count, taken: [], done }.
// "drop" rules swallow, "hold" rules keep and later release in reverse order (a reordering).
const rules = [];
// Waiters for a relay message: { role, dir, kind, sub, from, resolve }.
const waiters = [];

function newest(role) {
  for (let i = connections.length - 1; i >= 0; i--) {
    if (connections[i].role === role && !connections[i].closed) return connections[i];
  }
  throw new Error(`no open connection of the ${role}`);
}

function matches(f, conn, dir, relay) {
  return f.role === conn.role && f.dir === dir && f.kind === relay.kind &&
      (f.sub === undefined || relay.body[1] === f.sub);
}

function describe(conn) {
  return {
    id: conn.id, role: conn.role, room: conn.room, nameplate: conn.nameplate, closed: conn.closed,
    relays: { up: conn.log.up.map((m) => m.kind), down: conn.log.down.map((m) => m.kind) },
    binary: conn.binary,
  };
}

// Sends text or a binary message on one side of a connection ("client": as if from the server;
// "server": as if from the browser).
function sendOn(conn, toward, data) {
  if (toward === 'client') conn.client.send(data);
  else if (conn.upstream.readyState === WebSocket.OPEN) conn.upstream.send(data);
  else conn.pending.push(data);
}

// A relay message crossing `conn` in `dir`; returns true if a rule kept it from going on.
function onRelay(conn, dir, payload, text) {
  const relay = decodeRelay(payload);
  if (!relay) return false;
  conn.log[dir].push({ kind: relay.kind, body: relay.body, text });
  const at = conn.log[dir].length - 1;
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i];
    if (matches(w, conn, dir, relay) && at >= w.from) {
      waiters.splice(i, 1);
      w.resolve({ index: at, bodyHex: relay.body.toString('hex') });
    }
  }
  const rule = rules.find((r) => !r.done && matches(r, conn, dir, relay));
  if (!rule) return false;
  rule.taken.push({ text, bodyHex: relay.body.toString('hex') });
  console.log(`${rule.action}: ${dir} relay kind ${relay.kind} on the ${conn.role}'s connection`);
  if (rule.taken.length >= rule.count) {
    rule.done = true;
    if (rule.action === 'hold') {
      for (const m of [...rule.taken].reverse()) sendOn(conn, dir === 'up' ? 'server' : 'client', m.text);
    }
    rule.resolve(rule.taken.map((m) => m.bodyHex));
  }
  return true;
}

// --- the proxy ---------------------------------------------------------------------------------
const server = http.createServer((req, res) => {
  const up = http.request({ host: upHost, port: upPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.writeHead(502); res.end(); });
  req.pipe(up);
});

const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (client) => {
    // The browser's Origin and Host go on unchanged, so an Origin check upstream sees the page.
    const headers = { host: req.headers.host };
    if (req.headers.origin) headers.origin = req.headers.origin;
    const upstream = new WebSocket(`ws://${upHost}:${upPort}${req.url}`, client.protocol, { headers });
    const conn = { id: connections.length + 1, role: null, room: null, nameplate: null, closed: false,
      client, upstream, pending: [], log: { up: [], down: [] }, binary: { up: 0, down: 0 } };
    connections.push(conn);
    upstream.on('open', () => { for (const m of conn.pending) upstream.send(m); conn.pending.length = 0; });
    client.on('message', (data, isBinary) => {
      if (isBinary) {
        if (recordTo !== null) record(data);
        conn.binary.up += 1;
        sendOn(conn, 'server', data);
        return;
      }
      const text = data.toString();
      const env = parseEnvelope(text);
      if (env && conn.role === null) {
        if (env.type === 'create') conn.role = 'creator';
        if (env.type === 'join') conn.role = 'joiner';
      }
      if (env && env.type === 'relay' && onRelay(conn, 'up', env.payload, text)) return;
      sendOn(conn, 'server', text);
    });
    upstream.on('message', (data, isBinary) => {
      if (isBinary) {
        if (recordTo !== null) record(data);
        conn.binary.down += 1;
        client.send(data);
        return;
      }
      let text = data.toString();
      const env = parseEnvelope(text);
      if (env) {
        if (env.type === 'created') Object.assign(conn, { role: 'creator', room: env.room, nameplate: env.nameplate });
        if (env.type === 'joined') Object.assign(conn, { role: env.creator ? 'creator' : 'joiner', room: env.room });
        if (env.type === 'nameplate') conn.nameplate = env.nameplate;
        if (env.type === 'relay' && tampered === 0) {
          const bytes = Buffer.from(env.payload, 'base64url');
          if (bytes[0] === RelayKind.sealed) {
            bytes[bytes.length - 1] ^= 0x01;
            env.payload = bytes.toString('base64url');
            text = JSON.stringify(env);
            tampered += 1;
            console.log('tampered with one sealed relay message');
          }
        }
        if (env.type === 'relay' && onRelay(conn, 'down', env.payload, text)) return;
      }
      client.send(text);
    });
    const close = () => { conn.closed = true; client.close(); upstream.close(); };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
});

// --- commands (lib/agent.mjs) ------------------------------------------------------------------
serveCommands({
  connections: () => connections.map(describe),
  // Resolves with the first relay message of `kind` (and handshake type `sub`) crossing the
  // role's connection in `dir` at index `from` or later (default: any, including ones already
  // seen; "next": only ones after this command).
  wait_relay: ({ role, dir, kind, sub, from = 0 }) => new Promise((resolve, reject) => {
    let conn;
    try { conn = newest(role); } catch (e) { reject(e); return; }
    const start = from === 'next' ? conn.log[dir].length : from;
    const seen = conn.log[dir].findIndex((m, i) => i >= start && m.kind === kind && (sub === undefined || m.body[1] === sub));
    if (seen >= 0) resolve({ index: seen, bodyHex: conn.log[dir][seen].body.toString('hex') });
    else waiters.push({ role, dir, kind, sub, from: start, resolve });
  }),
  // A relay message of `kind` with body `bodyHex` sent toward "client" or "server".
  inject: ({ role, toward, kind, bodyHex }) => {
    sendOn(newest(role), toward, relayEnvelope(kind, Buffer.from(bodyHex, 'hex')));
    console.log(`injected relay kind ${kind} toward the ${role}'s ${toward}`);
  },
  // Sends again, toward the same side, the `nth` (negative: from the end) relay message of
  // `kind` that crossed the role's connection in `dir`.
  replay: ({ role, dir, kind, nth = -1 }) => {
    const conn = newest(role);
    const of = conn.log[dir].filter((m) => m.kind === kind);
    const m = of.at(nth);
    if (!m) throw new Error(`no ${dir} relay of kind ${kind} to replay`);
    sendOn(conn, dir === 'up' ? 'server' : 'client', m.text);
    return m.body.toString('hex');
  },
  // Drops the next `count` matching relay messages; resolves with their bodies once dropped.
  drop: ({ role, dir, kind, sub, count = 1 }) => new Promise((resolve) => {
    rules.push({ action: 'drop', role, dir, kind, sub, count, taken: [], done: false, resolve });
  }),
  // Holds the next `count` matching relay messages and then lets them go in reverse order.
  reorder: ({ role, dir, kind, sub, count = 2 }) => new Promise((resolve) => {
    rules.push({ action: 'hold', role, dir, kind, sub, count, taken: [], done: false, resolve });
  }),
  // A forged HELLO toward the creator, shaped like the joiner's last real one (so it matches the
  // version the client speaks) with every byte after the method fresh.
  forge_hello: ({ role = 'creator' }) => {
    const conn = newest(role);
    const seen = conn.log.down.filter((m) => m.kind === RelayKind.hello).at(-1);
    if (!seen) throw new Error(`the ${role} has not received a HELLO to imitate`);
    const body = forgeHelloLike(seen.body);
    sendOn(conn, 'client', relayEnvelope(RelayKind.hello, body));
    console.log(`injected a forged ${body.length}-byte HELLO toward the ${role}`);
    return body.toString('hex');
  },
  // `count` forged frames (wire.mjs forgedFrames) as binary messages toward the role's browser;
  // with `oversizeBytes`, first one message of that size that starts like a CHUNK frame.
  forge_frames: ({ role, count, firstId, oversizeBytes = 0 }) => {
    const conn = newest(role);
    if (oversizeBytes > 0) conn.client.send(Buffer.alloc(oversizeBytes, 0x01));
    for (const f of forgedFrames(count, firstId)) conn.client.send(f);
    console.log(`injected ${count} forged frames toward the ${role}`);
    return count;
  },
});

server.listen(Number(port), host, () => console.log(`${mode.replace(/:.*/, '')} proxy listening on ${host}:${server.address().port}`));
process.on('SIGTERM', () => {
  console.log(`recorded ${recorded} bytes`);
  process.exit(0);
});
