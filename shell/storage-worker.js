// Ferry's storage worker: received files and the receiver's durable state, in the origin's
// private file system (OPFS), through FileSystemSyncAccessHandle.
//
// A sync access handle writes and reads in place (`{at}`) and its bytes are on disk as soon as
// write() returns (flush() makes them durable), so a partial file survives a reload and can be
// resumed, and reading back a range copies only that range. Those handles exist only in
// dedicated workers: this file is that worker, loaded from the same origin as ferry.js (the
// CSP allows `worker-src 'self'`). The main thread (web/platform/js/storage.js) posts messages here.
//
// One ordered queue: every message runs in posting order, whatever sink it names, so a state
// written after some chunks is written after those chunks are on disk.
//
// Protocol 2 (storage.js kStorageProtocol: change both together). 2: write carries len (a
// batch in a larger transferred buffer) and written names its sink.
// Messages in ({op, ...}):           replies ({ev, ...}):
//   open   {sink, key, keep}           opened {sink, size} | error {sink, name, message}
//   write  {sink, at, buf, len}        written {sink, bytes, buf} (one per write; buf comes back)
//   read   {sink, at, length, req}     read {sink, req, buf}
//   finish {sink}                      finished {sink}  (flushed and closed: getFile() works)
//   abort  {sink}                      (closed and deleted; no reply)
//   stateWrite  {key, buf}             storage_error {name, message}
//   stateList   {prefix}               state {key, buf} ..., state_done {}
//   stateDelete {key}
//   sweep  {keepPrefix, maxAgeMs}      swept {count}  (keepPrefix '' keeps nothing by name)
//   config {ferryTestSlowDiskBytesPerSec}  (no reply; test only, see "Slow disk" below)
// Names (`key`) arrive sanitised by storage.js: [A-Za-z0-9_-] only.
//
// Implements: Chromium (e2e.storage), Firefox >= 111 (ESR 153 probed by hand: sync handles,
// move() over an existing file), Safari >= 15.2 by MDN, untested here. Older engines returned
// promises from flush/close/truncate/getSize, so every such call is awaited (the per-chunk
// write is not: it was synchronous from the start). Lacks: sharing between tabs; a file open
// in another tab fails to open, because its access handle holds a lock.
//
// Slow disk (tests only): `config` with ferryTestSlowDiskBytesPerSec > 0 makes every write wait
// until a disk of that speed would have finished the writes before it, so writes and their
// `written` acks trail the network and the receiver's flow control (WINDOW) must slow the
// sender. The page sends it only when its query has `ferry-test-slow-disk=<bytes/s>`; it can
// only slow this user's own disk. Anything else (0, not a number) turns it off.
'use strict';

const kDir = 'ferry-incoming';
const kStateSuffix = '.state';
const kTmpSuffix = '.tmp';
// Writes are acknowledged to the main thread in batches of this many bytes (or when the queue
// runs dry): one message per 64 KiB chunk would double the messages of a transfer.
// A state file: magic, payload length, CRC-32 of the payload, then the payload. A state that
// was cut short (a crash in the middle of the fallback in-place write) fails the check and is
// skipped, so the receiver starts that file again rather than trusting a torn have-map.
const kStateMagic = 0x46535431;  // "FST1"
const kStateHeader = 12;

let dirPromise = null;
const sinks = new Map();  // sink -> {key, file (handle), access (sync handle) | null, failed, dirty}
const queue = [];
let head = 0;
let running = false;
let slowDiskBytesPerSec = 0;  // 0: the disk's own speed (see "Slow disk" above)
let slowDiskFreeAt = 0;       // performance.now() when the slow disk is idle again

function dir() {
  if (!dirPromise) {
    dirPromise = navigator.storage.getDirectory().then((root) => root.getDirectoryHandle(kDir, { create: true }));
    dirPromise.catch(() => { dirPromise = null; });  // retried by the next operation
  }
  return dirPromise;
}

function errorOf(e) {
  return { name: (e && e.name) || 'Error', message: (e && e.message) || String(e) };
}

// Resolves when a disk of slowDiskBytesPerSec would have written n more bytes.
function slowDisk(n) {
  const now = performance.now();
  slowDiskFreeAt = Math.max(now, slowDiskFreeAt) + (n * 1000) / slowDiskBytesPerSec;
  return new Promise((resolve) => setTimeout(resolve, slowDiskFreeAt - now));
}

function writeNow(m) {
  const s = sinks.get(m.sink);
  const bytes = new Uint8Array(m.buf, 0, m.len === undefined ? m.buf.byteLength : m.len);
  try {
    if (!s || s.failed || !s.access) return;
    const n = s.access.write(bytes, { at: m.at });
    s.dirty = true;
    if (n !== bytes.length) throw Object.assign(new Error('the disk took only ' + n + ' of ' + bytes.length + ' bytes'), { name: 'QuotaExceededError' });
  } catch (e) {
    if (s) s.failed = true;
    postMessage(Object.assign({ ev: 'error', sink: m.sink }, errorOf(e)));
  } finally {
    // Acknowledged even when dropped: the main thread's count must fall. One ack per write
    // message (a batch of up to 1 MiB), naming its sink: the receiver's flow-control window
    // opens as its own bytes reach the disk.
    // The buffer goes back with the ack (transferred, not copied): the main thread reuses it
    // for a later batch instead of allocating (and faulting in) fresh memory for every MiB.
    postMessage({ ev: 'written', sink: m.sink, bytes: bytes.length, buf: m.buf }, [m.buf]);
  }
}

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

function frameState(payload) {
  const out = new Uint8Array(kStateHeader + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, kStateMagic);
  v.setUint32(4, payload.length);
  v.setUint32(8, crc32(payload));
  out.set(payload, kStateHeader);
  return out;
}
function unframeState(bytes) {  // the payload, or null when torn or foreign
  if (bytes.length < kStateHeader) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const n = v.getUint32(4);
  if (v.getUint32(0) !== kStateMagic || n !== bytes.length - kStateHeader) return null;
  const payload = bytes.subarray(kStateHeader);
  return crc32(payload) === v.getUint32(8) ? payload : null;
}

async function writeWhole(fileHandle, bytes) {
  const a = await fileHandle.createSyncAccessHandle();
  try {
    await a.truncate(0);
    if (a.write(bytes, { at: 0 }) !== bytes.length) throw new Error('short write');
    await a.flush();
  } finally {
    await a.close();
  }
}

async function flushAll() {
  const all = [];
  sinks.forEach((s) => { if (s.access && s.dirty) all.push(s); });
  for (const s of all) {
    await s.access.flush();
    s.dirty = false;
  }
}

const ops = {
  async open(m) {
    const s = { key: m.key, file: null, access: null, failed: false, dirty: false };
    let holder = 0;
    sinks.forEach((o, h) => { if (o.key === m.key && o.access) holder = h; });
    sinks.set(m.sink, s);
    try {
      // The lock would refuse it anyway, with a message that blames another tab.
      if (holder) throw new Error(`this page still has the file open (sink ${holder}): finish or abort that sink first`);
      const d = await dir();
      s.file = await d.getFileHandle(m.key, { create: true });
      if (!s.file.createSyncAccessHandle) throw new Error('this browser cannot write files in place (no FileSystemSyncAccessHandle)');
      s.access = await s.file.createSyncAccessHandle();
      if (!m.keep) await s.access.truncate(0);
      postMessage({ ev: 'opened', sink: m.sink, size: await s.access.getSize() });
    } catch (e) {
      s.failed = true;
      const err = errorOf(e);
      if (err.name === 'NoModificationAllowedError') err.message = 'the file is open in another tab or window (' + err.message + ')';
      postMessage({ ev: 'error', sink: m.sink, name: err.name, message: err.message });
    }
  },
  write(m) {  // synchronous: the common case runs without a promise
    if (slowDiskBytesPerSec > 0) return slowDisk(m.len === undefined ? m.buf.byteLength : m.len).then(() => writeNow(m));
    writeNow(m);
    return null;
  },
  config(m) {
    const rate = Number(m.ferryTestSlowDiskBytesPerSec);
    slowDiskBytesPerSec = Number.isFinite(rate) && rate > 0 ? rate : 0;
  },
  read(m) {
    const s = sinks.get(m.sink);
    try {
      if (!s || !s.access) throw new Error('the file is not open');
      const buf = new Uint8Array(m.length);
      const n = s.access.read(buf, { at: m.at });
      const out = n === m.length ? buf.buffer : buf.slice(0, n).buffer;
      postMessage({ ev: 'read', sink: m.sink, req: m.req, buf: out }, [out]);
    } catch (e) {
      if (s) s.failed = true;
      postMessage(Object.assign({ ev: 'error', sink: m.sink }, errorOf(e)));
    }
  },
  async finish(m) {
    const s = sinks.get(m.sink);
    try {
      if (!s || !s.access) throw new Error('the file is not open');
      await s.access.flush();
      await s.access.close();
      s.access = null;
      postMessage({ ev: 'finished', sink: m.sink });
    } catch (e) {
      if (s) s.failed = true;
      postMessage(Object.assign({ ev: 'error', sink: m.sink }, errorOf(e)));
    }
  },
  async abort(m) {
    const s = sinks.get(m.sink);
    sinks.delete(m.sink);
    if (!s) return;
    try {
      if (s.access) await s.access.close();
      const d = await dir();
      await d.removeEntry(s.key);
    } catch (e) { /* gone already, or held by another tab: the sweep takes it later */ }
  },
  async stateWrite(m) {
    try {
      // Everything posted before this message is written by now (one ordered queue); flushing
      // makes it durable before the state that describes it.
      await flushAll();
      const d = await dir();
      const name = m.key + kStateSuffix;
      const bytes = frameState(new Uint8Array(m.buf));
      const target = await d.getFileHandle(name, { create: true });
      if (target.move) {
        // Write beside, then rename over the old state: a crash leaves the old or the new one.
        const tmp = await d.getFileHandle(name + kTmpSuffix, { create: true });
        await writeWhole(tmp, bytes);
        try {
          await tmp.move(d, name);
          return;
        } catch (e) {
          await d.removeEntry(name + kTmpSuffix).catch(() => {});  // a move() that will not overwrite
        }
      }
      // No usable move() (older Safari): write in place and cut to length. A crash in between
      // leaves a torn file, which the CRC rejects.
      await writeWhole(target, bytes);
    } catch (e) {
      const err = errorOf(e);
      postMessage({ ev: 'storage_error', name: err.name, message: 'state ' + m.key + ': ' + err.message });
    }
  },
  async stateList(m) {
    try {
      const d = await dir();
      const found = [];
      for await (const entry of d.values()) {
        const n = entry.name;
        if (entry.kind !== 'file' || !n.endsWith(kStateSuffix) || !n.startsWith(m.prefix)) continue;
        found.push(entry);
      }
      for (const entry of found) {
        const payload = unframeState(new Uint8Array(await (await entry.getFile()).arrayBuffer()));
        if (!payload) continue;  // torn: as if never written
        const buf = payload.slice().buffer;
        postMessage({ ev: 'state', key: entry.name.slice(0, -kStateSuffix.length), buf }, [buf]);
      }
    } catch (e) {
      const err = errorOf(e);
      postMessage({ ev: 'storage_error', name: err.name, message: 'listing states: ' + err.message });
    }
    postMessage({ ev: 'state_done' });
  },
  async stateDelete(m) {
    const d = await dir();
    await d.removeEntry(m.key + kStateSuffix).catch(() => {});
    await d.removeEntry(m.key + kStateSuffix + kTmpSuffix).catch(() => {});
  },
  async sweep(m) {
    let count = 0;
    try {
      const d = await dir();
      const open = new Set();
      sinks.forEach((s) => open.add(s.key));
      const cutoff = Date.now() - m.maxAgeMs;
      const old = [];
      for await (const entry of d.values()) {
        const n = entry.name;
        const base = n.endsWith(kTmpSuffix) ? n.slice(0, -kTmpSuffix.length) : n;
        const key = base.endsWith(kStateSuffix) ? base.slice(0, -kStateSuffix.length) : base;
        if (entry.kind !== 'file' || (m.keepPrefix && n.startsWith(m.keepPrefix)) || open.has(key)) continue;
        old.push(entry);
      }
      for (const entry of old) {
        try {
          if ((await entry.getFile()).lastModified > cutoff) continue;  // maxAgeMs 0: everything
          await d.removeEntry(entry.name);
          count++;
        } catch (e) { /* open in another tab: it is not abandoned */ }
      }
    } catch (e) { /* nothing to sweep */ }
    postMessage({ ev: 'swept', count });
  },
};

async function run() {
  running = true;
  while (head < queue.length) {
    const m = queue[head];
    queue[head++] = undefined;
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    const f = ops[m.op];
    try {
      const r = f ? f(m) : null;
      if (r && r.then) await r;
    } catch (e) {
      postMessage({ ev: 'storage_error', name: 'Error', message: m.op + ': ' + errorOf(e).message });
    }
  }
  running = false;
}

onmessage = (e) => {
  queue.push(e.data);
  if (!running) run();
};
