// Ferry's JS glue, part 1 of 9 (--pre-js, in the order web/CMakeLists.txt lists them): the
// handle table, events into C++, and the data path's batched delivery. One small file per
// browser object follows (websocket, peer, channel, files, storage, ui, page, history); each adds its
// functions to Module.ferryGlue, which C++ calls through emscripten::val.
//
// Events. A browser callback never runs C++ logic: emit(handle, kind, text, bytes, number)
// queues a typed event (Module.ferryEvent, platform/events.h); numbers (request ids, close
// codes, sizes) travel as numbers, never inside text. One drain per task (a MessageChannel
// message queued behind whatever the browser delivers meanwhile) lets C++ take them all.
//
// Data. The bulk (DataChannel and relay messages, file reads, read-backs) does not go through
// events: it waits in `data` and the drain copies it into one wasm arena (Module.ferryArena,
// one HEAPU8.set per message) and hands the whole batch over with one call
// (Module.ferryDeliver), which processes it in place. Emscripten 3.1.6's JS optimiser mangles
// destructuring in for-of loops: use forEach.
'use strict';
const ferryCore = (function () {
  const objects = new Map();  // handle -> {obj, kind}
  let nextHandle = 1;
  // Counters for benchmarks and diagnosis (bench/throughput reads them). toWasm/fromWasm count
  // the JS<->wasm crossings: calls into C++ and calls of this glue from C++.
  const stats = { events: 0, drains: 0, sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, reads: 0, readsDone: 0,
    toWasm: 0, fromWasm: 0, delivered: 0, sinkPosts: 0, droppedOversize: 0,
    relaySent: 0, relaySentBytes: 0, relayReceived: 0, relayReceivedBytes: 0, chunkBytesSent: 0 };
  // A binary frame out (protocol/frame.h): CHUNK frames (type byte 1) are counted on either
  // path, so that tests see what a switch of path sent twice.
  const kChunkFrameType = 1;
  function countChunk(ptr, len) {
    if (len > 1 && HEAPU8[ptr + 1] === kChunkFrameType) stats.chunkBytesSent += len;
  }
  Module['ferryStats'] = stats;
  const api = {};
  Module['ferryGlue'] = api;
  // Adds functions C++ may call; each call is counted as one crossing.
  function provide(fns) {
    Object.keys(fns).forEach((name) => {
      const f = fns[name];
      api[name] = function () { stats.fromWasm++; return f.apply(null, arguments); };
    });
  }

  function add(obj, kind) {
    const h = nextHandle++;
    objects.set(h, { obj, kind });
    return h;
  }
  function get(h) {
    const e = objects.get(h);
    return e ? e.obj : null;
  }
  function errorText(e) {
    if (!e) return 'unknown error';
    return (e.name ? e.name + ': ' : '') + (e.message || String(e));
  }

  // --- the drain ------------------------------------------------------------------------------
  const kDataKind = { channel: 1, server: 2, fileRead: 3, sinkRead: 4 };  // platform/events.h DataKind
  const kDeliverBytes = 4 * 1024 * 1024;  // most bytes handed over per call (bounds the arena)
  // protocol::kMaxFrameBytes (a CHUNK header, a sealed 1 MiB chunk): no frame is longer, so a
  // longer message (a forged one through a hostile server's relay, say) is dropped here, before
  // it is copied into wasm memory. File reads and read-backs are ours and never that long.
  const kMaxFrameBytes = 23 + 1024 * 1024 + 40;
  const data = [];  // [{kind, h, id, bytes}]
  const afterDrain = [];  // callbacks run after each drain (storage flushes write batches)
  const drainPort = new MessageChannel();
  let drainScheduled = false;
  function scheduleDrain() {
    if (drainScheduled || !Module['ferryDrain']) return;
    drainScheduled = true;
    drainPort.port2.postMessage(0);
  }
  drainPort.port1.onmessage = () => {
    drainScheduled = false;
    stats.drains++;
    if (!data.length) {
      stats.toWasm++;
      Module['ferryDrain']();
    }
    while (data.length) deliver();
    afterDrain.forEach((f) => f());
  };
  // One batch: the arena holds a table of 4 u32 per message (kind, handle, id, length) and then
  // the bytes; HEAPU8 is read after ferryArena, which may grow the memory.
  function deliver() {
    let n = 0;
    let total = 0;
    while (n < data.length && (n === 0 || total + data[n].bytes.length <= kDeliverBytes)) {
      total += data[n].bytes.length;
      n++;
    }
    const batch = data.splice(0, n);
    stats.toWasm += 2;
    const base = Module['ferryArena'](total, n);
    const table = base >> 2;
    let at = base + 16 * n;
    batch.forEach((m, i) => {
      HEAPU32[table + 4 * i] = m.kind;
      HEAPU32[table + 4 * i + 1] = m.h;
      HEAPU32[table + 4 * i + 2] = m.id;
      HEAPU32[table + 4 * i + 3] = m.bytes.length;
      HEAPU8.set(m.bytes, at);
      at += m.bytes.length;
    });
    stats.delivered += n;
    Module['ferryDeliver'](n);
  }
  function queueData(kind, h, id, bytes) {
    if ((kind === kDataKind.channel || kind === kDataKind.server) && bytes.length > kMaxFrameBytes) {
      stats.droppedOversize++;
      return;
    }
    data.push({ kind, h, id, bytes });
    scheduleDrain();
  }

  const kEmpty = new Uint8Array(0);
  function emit(handle, kind, text, bytes, number) {
    if (!objects.has(handle) && handle !== 0 && kind !== 'closed') return;  // deleted: drop late events
    if (!Module['ferryEvent']) return;  // before the client runs there is nothing to tell
    stats.events++;
    stats.toWasm++;
    Module['ferryEvent'](handle, kind, text || '', number || 0, bytes || kEmpty);
    scheduleDrain();
  }

  // A network change (another Wi-Fi, a phone leaving Wi-Fi for mobile data): the session asks
  // for an ICE restart at once rather than waiting for the old path to time out.
  function onNetworkChange() { emit(0, 'network', navigator.onLine === false ? 'offline' : 'online'); }
  window.addEventListener('online', onNetworkChange);
  window.addEventListener('offline', onNetworkChange);
  if (navigator.connection && navigator.connection.addEventListener) {
    navigator.connection.addEventListener('change', onNetworkChange);
  }

  return { objects, stats, countChunk, provide, add, get, errorText, emit, scheduleDrain, queueData, kDataKind, afterDrain, api };
})();
