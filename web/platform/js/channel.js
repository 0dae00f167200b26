// Ferry's JS glue, part 4: RTCDataChannel (platform/peer_connection.h DataChannel).
// Events on a dc handle: open, text, buffered_low, closed, error. Binary messages are data
// (core.js): queued as they arrive and handed to C++ in batches, once per task.
'use strict';
(function (core) {
  const add = core.add;
  const get = core.get;
  const emit = core.emit;
  const errorText = core.errorText;
  const queueData = core.queueData;
  const kDataKind = core.kDataKind;
  const objects = core.objects;
  const stats = core.stats;
  core.bindChannel = function (dc) {
    dc.binaryType = 'arraybuffer';
    const h = add(dc, 'dc');
    dc.onopen = () => emit(h, 'open');
    dc.onmessage = (ev) => {
      if (typeof ev.data === 'string') { emit(h, 'text', ev.data); return; }
      stats.received++;
      stats.receivedBytes += ev.data.byteLength;
      queueData(kDataKind.channel, h, 0, new Uint8Array(ev.data));
    };
    dc.onbufferedamountlow = () => emit(h, 'buffered_low', '', null, dc.bufferedAmount);
    dc.onerror = (ev) => emit(h, 'error', ev && ev.error ? errorText(ev.error) : 'data channel error');
    dc.onclose = () => { emit(h, 'closed'); objects.delete(h); };
    return h;
  };
  core.provide({
    dcCreate(pcHandle, label) {
      const pc = get(pcHandle);
      if (!pc) return 0;
      return core.bindChannel(pc.createDataChannel(label, { ordered: true }));
    },
    // (ptr, len) in wasm memory: the browser copies it at send(). Returns bufferedAmount after
    // it, or -1 when the channel cannot send (C++ then keeps the previous figure).
    dcSend(h, ptr, len) {
      const dc = get(h);
      if (!dc || dc.readyState !== 'open') return -1;
      stats.sent++;
      stats.sentBytes += len;
      try { dc.send(HEAPU8.subarray(ptr, ptr + len)); } catch (e) {
        // Called from C++: report asynchronously, never re-enter C++ from inside a C++ call.
        queueMicrotask(() => emit(h, 'error', 'send: ' + errorText(e)));
        return -1;
      }
      return dc.bufferedAmount;
    },
    dcBuffered(h) {
      const dc = get(h);
      return dc ? dc.bufferedAmount : 0;
    },
    dcSetLowThreshold(h, bytes) {
      const dc = get(h);
      if (dc) dc.bufferedAmountLowThreshold = bytes;
    },
    dcClose(h) {
      const dc = get(h);
      objects.delete(h);
      if (dc) {
        dc.onopen = dc.onmessage = dc.onclose = dc.onerror = dc.onbufferedamountlow = null;
        try { dc.close(); } catch (e) { /* closed already */ }
      }
    },
  });
})(ferryCore);
