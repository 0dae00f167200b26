// Ferry's wire formats as an attacker writes them, for the e2e attacker (tamper_proxy.mjs and
// attacker_client.mjs). The truth is in the C++ headers named below; this is only what a hostile
// server or link holder needs to speak them.
//   signalling envelopes           src/protocol/signal.h   {"v":1,"type":...}
//   relay payloads                 docs/protocol.md        base64url(kind u8 || body)
//   handshake messages             src/session/handshake.h  ver | type | fields
//   DataChannel / data-relay frames src/protocol/frame.h    CHUNK and CONTROL, little-endian
import crypto from 'node:crypto';

export const kSubprotocol = 'ferry.v1';
export const kEnvelopeVersion = 1;

export const RelayKind = Object.freeze({ hello: 1, handshake: 2, sealed: 3 });
export const JoinMethod = Object.freeze({ link: 1, code: 2 });
export const HandshakeType = Object.freeze({ shareA: 1, shareB: 2, confirmA: 3 });

// HELLO bodies: version 1 was the method alone; version 2 (issue 9) adds the joiner's nonce.
export const kHelloNonceBytes = 16;
// CPace over ristretto255: points and confirmation tags are 32 bytes.
export const kPointBytes = 32;
export const kTagBytes = 32;
// A valid ristretto255 encoding that is not the identity (the group's generator, RFC 9496): a
// share made of it passes the point checks, so the creator runs CPace and then finds the tag
// wrong, exactly as with a wrong password.
export const kRistrettoGenerator = Buffer.from(
    'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76', 'hex');

export function envelope(type, fields = {}) {
  return JSON.stringify({ v: kEnvelopeVersion, type, ...fields });
}

// Parses a text message; null for anything that is not a JSON object.
export function parseEnvelope(text) {
  try {
    const env = JSON.parse(text);
    return env && typeof env === 'object' ? env : null;
  } catch {
    return null;
  }
}

export function relayPayload(kind, body) {
  return Buffer.concat([Buffer.from([kind]), Buffer.from(body)]).toString('base64url');
}

// { kind, body } of a relay payload, or null if it is not base64url of at least one byte.
export function decodeRelay(payload) {
  if (typeof payload !== 'string') return null;
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.length === 0) return null;
  return { kind: bytes[0], body: bytes.subarray(1) };
}

export function relayEnvelope(kind, body) {
  return envelope('relay', { payload: relayPayload(kind, body) });
}

// A HELLO body in the format of `version` (1: method only; 2: method || fresh nonce).
export function helloBody(method, version = 2) {
  const m = Buffer.from([method]);
  return version === 1 ? m : Buffer.concat([m, crypto.randomBytes(kHelloNonceBytes)]);
}

// A forged HELLO shaped like `seen` (a real HELLO body the attacker saw): the same method and
// length, every byte after the method fresh. So it matches whatever version the client speaks.
export function forgeHelloLike(seen) {
  return Buffer.concat([seen.subarray(0, 1), crypto.randomBytes(seen.length - 1)]);
}

// A joiner's share that the creator will refuse: a valid point and a tag the attacker cannot
// know. `version` is the handshake version byte, mirrored from the creator's share.
export function bogusShareB(version) {
  return Buffer.concat([Buffer.from([version, HandshakeType.shareB]), kRistrettoGenerator,
    crypto.randomBytes(kTagBytes)]);
}

// Frames (protocol/frame.h), version 1.
export const kFrameVersion = 1;
export const FrameType = Object.freeze({ chunk: 1, control: 2 });
// A sealed payload is nonce (24) || ciphertext || tag (16); a forged one is just random bytes.
export const kSealOverheadBytes = 24 + 16;

// Little-endian fields, in order: [['u8' | 'u32' | 'u64', value], ...].
function pack(fields) {
  const size = { u8: 1, u32: 4, u64: 8 };
  const out = Buffer.alloc(fields.reduce((n, [t]) => n + size[t], 0));
  let at = 0;
  for (const [t, v] of fields) {
    if (t === 'u8') out.writeUInt8(v, at);
    else if (t === 'u32') out.writeUInt32LE(v, at);
    else out.writeBigUInt64LE(BigInt(v), at);
    at += size[t];
  }
  return out;
}

export function chunkFrame({ transferId, fileId = 0, index = 0, last = false, payload }) {
  return Buffer.concat([pack([['u8', kFrameVersion], ['u8', FrameType.chunk], ['u32', transferId], ['u32', fileId],
    ['u64', index], ['u8', last ? 1 : 0], ['u32', payload.length]]), payload]);
}

// origin 0: written by the transfer's sender (so the reader would be its receiver).
export function controlFrame({ transferId, origin = 0, seq = 1, payload }) {
  return Buffer.concat([pack([['u8', kFrameVersion], ['u8', FrameType.control], ['u32', transferId], ['u8', origin],
    ['u64', seq], ['u32', payload.length]]), payload]);
}

// `count` well-formed frames no key ever sealed, as if the peer sent them, each for its own
// transfer id from `firstId`: CHUNK and CONTROL (origin sender, as a MANIFEST would come)
// alternating. Returns Buffers.
export function forgedFrames(count, firstId) {
  const frames = [];
  for (let i = 0; i < count; i++) {
    const payload = crypto.randomBytes(kSealOverheadBytes + 64);
    const transferId = firstId + i;
    frames.push(i % 2 === 0 ? chunkFrame({ transferId, index: 0, last: true, payload })
                            : controlFrame({ transferId, seq: 1, payload }));
  }
  return frames;
}
