// A scripted attacker speaking Ferry's signalling protocol (src/protocol/signal.h) to the real
// ferry-server, as someone who holds the link without its #fragment (room id and join token) or
// only the code's nameplate would. Runs inside a test namespace, driven by commands
// (lib/agent.mjs; the scenario side is startAttacker in lib/attack.mjs):
//   connect {url, origin, headers} a WebSocket with the ferry.v1 subprotocol (and any headers,
//                                 e.g. a forged X-Forwarded-For); -> conn id
//   send {conn, text}             one text message
//   next {conn, types, timeoutMs} the next envelope whose type is in `types`, or the close
//   close {conn}
//   binary_count {conn}           binary messages received so far (they are not queued)
//   upgrade_status {url, origin}  the HTTP status of a /ws upgrade (101 when accepted)
//   http_status {url}             the status of a plain GET
//   guess {url, origin, room, token, attempts, helloVersion, answerTimeoutMs}
//                                 joins by token `attempts` times, each time HELLO{code} and, if
//                                 the creator answers with its CPace share, a bogus share back;
//                                 -> one outcome per attempt (see guessOnce); stops after the
//                                 first attempt that got no answer at all
// A non-browser client can send any Origin it likes; it sends the one it is given.
// Usage: node attacker_client.mjs
import http from 'node:http';

import { WebSocket } from 'ws';

import { serveCommands } from './agent.mjs';
import {
  bogusShareB, decodeRelay, envelope, HandshakeType, helloBody, JoinMethod, kSubprotocol, parseEnvelope,
  relayEnvelope, RelayKind,
} from './wire.mjs';

// A seat freed by an eviction is free once the server has handled the close; a join racing it
// gets room_full. Retried this often, this far apart (a bounded poll, not a wait for time).
const kSeatRetries = 20;
const kSeatRetryMs = 100;
// How long an attempt waits for the creator to answer or refuse, and then for the eviction.
const kDefaultAnswerTimeoutMs = 10_000;

const conns = new Map();
let nextConn = 1;

// Opens a connection; resolves to its id once open. Messages queue until next() takes them.
function connect({ url, origin, headers }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, kSubprotocol, { ...(origin ? { origin } : {}), ...(headers ? { headers } : {}) });
    const c = { ws, queue: [], closed: null, wake: null, binary: 0 };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        c.binary += 1;
        return;
      }
      c.queue.push(parseEnvelope(data.toString()) || { type: 'not_json' });
      if (c.wake) c.wake();
    });
    ws.on('close', (code, reason) => {
      c.closed = { code, reason: reason.toString() };
      if (c.wake) c.wake();
    });
    ws.on('unexpected-response', (req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.on('error', (e) => { if (ws.readyState !== WebSocket.OPEN) reject(e); });
    ws.on('open', () => {
      const id = nextConn++;
      conns.set(id, c);
      resolve(id);
    });
  });
}

function conn(id) {
  const c = conns.get(id);
  if (!c) throw new Error(`no connection ${id}`);
  return c;
}

// The next envelope with a type in `types` (others are skipped), or { closed } once the
// connection closed, or { timeout: true }.
async function next(id, types, timeoutMs) {
  const c = conn(id);
  const end = Date.now() + timeoutMs;
  for (;;) {
    while (c.queue.length > 0) {
      const env = c.queue.shift();
      if (types.includes(env.type)) return { env };
    }
    if (c.closed) return { closed: c.closed };
    const left = end - Date.now();
    if (left <= 0) return { timeout: true };
    await new Promise((r) => {
      const t = setTimeout(r, left);
      c.wake = () => { clearTimeout(t); r(); };
    });
    c.wake = null;
  }
}

// The next relay of `kind` (and handshake type `sub`), an error envelope, the close, or timeout.
async function nextRelay(id, kind, sub, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await next(id, ['relay', 'error'], Math.max(0, end - Date.now()));
    if (!got.env || got.env.type === 'error') return got;
    const relay = decodeRelay(got.env.payload);
    if (relay && relay.kind === kind && (sub === undefined || relay.body[1] === sub)) return { relay };
  }
}

function closeConn(id) {
  const c = conns.get(id);
  if (!c) return;
  conns.delete(id);
  if (!c.closed) c.ws.close(1000, 'bye');
}

// Joins by token, retrying while the seat is still held by our own previous attempt.
async function joinByToken(args) {
  for (let i = 0; ; i++) {
    const id = await connect(args);
    conn(id).ws.send(envelope('join', { room: args.room, token: args.token }));
    const got = await next(id, ['joined', 'error'], args.answerTimeoutMs);
    if (got.env && got.env.type === 'joined') return { id };
    closeConn(id);
    const why = got.env ? got.env.code : got.closed ? `closed ${got.closed.code}` : 'no answer';
    if (why !== 'room_full' || i + 1 >= kSeatRetries) return { refused: why };
    await new Promise((r) => setTimeout(r, kSeatRetryMs));
  }
}

// One online guess at the code. Outcomes:
//   { outcome: 'answered', evicted }   the creator sent its CPace share (a guess was possible);
//                                      we sent a bogus share; evicted: how our seat ended
//   { outcome: 'refused', how }        the creator refused without a share (we were evicted)
//   { outcome: 'not_admitted', how }   the server did not let us join at all
//   { outcome: 'no_answer' }           nothing within the time limit
async function guessOnce(args) {
  const joined = await joinByToken(args);
  if (joined.refused) return { outcome: 'not_admitted', how: joined.refused };
  const id = joined.id;
  try {
    conn(id).ws.send(relayEnvelope(RelayKind.hello, helloBody(JoinMethod.code, args.helloVersion)));
    const share = await nextRelay(id, RelayKind.handshake, HandshakeType.shareA, args.answerTimeoutMs);
    if (share.timeout) return { outcome: 'no_answer' };
    if (!share.relay) return { outcome: 'refused', how: share.closed ? `closed ${share.closed.code}` : share.env.code };
    conn(id).ws.send(relayEnvelope(RelayKind.handshake, bogusShareB(share.relay.body[0])));
    const end = await next(id, ['error'], args.answerTimeoutMs);
    return { outcome: 'answered', evicted: end.closed ? `closed ${end.closed.code}` : end.env ? end.env.code : 'not evicted' };
  } finally {
    closeConn(id);
  }
}

serveCommands({
  connect,
  send: ({ conn: id, text }) => { conn(id).ws.send(text); },
  next: ({ conn: id, types, timeoutMs = kDefaultAnswerTimeoutMs }) => next(id, types, timeoutMs),
  close: ({ conn: id }) => closeConn(id),
  binary_count: ({ conn: id }) => conn(id).binary,
  upgrade_status: ({ url, origin }) => new Promise((resolve) => {
    const ws = new WebSocket(url, kSubprotocol, origin ? { origin } : {});
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('open', () => { resolve(101); ws.close(); });
    ws.on('error', (e) => resolve(`error: ${e.message}`));
  }),
  http_status: ({ url }) => new Promise((resolve) => {
    http.get(url, (res) => { resolve(res.statusCode); res.resume(); }).on('error', (e) => resolve(`error: ${e.message}`));
  }),
  guess: async ({ attempts, helloVersion = 2, answerTimeoutMs = kDefaultAnswerTimeoutMs, ...rest }) => {
    const results = [];
    for (let i = 0; i < attempts; i++) {
      results.push(await guessOnce({ ...rest, helloVersion, answerTimeoutMs }));
      console.log(`attempt ${i + 1}: ${JSON.stringify(results.at(-1))}`);
      // A creator that neither answers nor refuses would make every attempt wait as long.
      if (results.at(-1).outcome === 'no_answer') break;
    }
    return results;
  },
});
console.log('attacker ready');
