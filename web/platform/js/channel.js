// Ferry's JS glue, part 4: RTCDataChannel (platform/peer_connection.h DataChannel).
// Events on a dc handle: open, text, buffered_low, closed, error. Binary messages are data
// (core.js): queued as they arrive and handed to C++ in batches, once per task.
'use strict';
(function (core) {
  core.bindChannel = function (dc) {
    dc.binaryType = 'arraybuffer';
    const h = core.add(dc, 'dc');
    dc.onopen = () => core.emit(h, 'open');
    dc.onmessage = (ev) => {
      if (typeof ev.data === 'string') { core.emit(h, 'text', ev.data); return; }
      core.stats.received++;
      core.stats.receivedBytes += ev.data.byteLength;
      core.queueData(core.kDataKind.channel, h, 0, new Uint8Array(ev.data));
    };
    dc.onbufferedamountlow = () => core.emit(h, 'buffered_low', '', null, dc.bufferedAmount);
    dc.onerror = (ev) => core.emit(h, 'error', ev && ev.error ? core.errorText(ev.error) : 'data channel error');
    dc.onclose = () => { core.emit(h, 'closed'); core.objects.delete(h); };
    return h;
  };
  core.provide({
    dcCreate(pcHandle, label) {
      const pc = core.get(pcHandle);
      if (!pc) return 0;
      return core.bindChannel(pc.createDataChannel(label, { ordered: true }));
    },
    // (ptr, len) in wasm memory: the browser copies it at send(). Returns bufferedAmount after
    // it, or -1 when the channel cannot send (C++ then keeps the previous figure).
    dcSend(h, ptr, len) {
      const dc = core.get(h);
      if (!dc || dc.readyState !== 'open') return -1;
      core.stats.sent++;
      core.stats.sentBytes += len;
      core.countChunk(ptr, len, dc.label);
      try { dc.send(HEAPU8.subarray(ptr, ptr + len)); } catch (e) {
        // Called from C++: report asynchronously, never re-enter C++ from inside a C++ call.
        queueMicrotask(() => core.emit(h, 'error', 'send: ' + core.errorText(e)));
        return -1;
      }
      return dc.bufferedAmount;
    },
    dcBuffered(h) {
      const dc = core.get(h);
      return dc ? dc.bufferedAmount : 0;
    },
    dcSetLowThreshold(h, bytes) {
      const dc = core.get(h);
      if (dc) dc.bufferedAmountLowThreshold = bytes;
    },
    dcClose(h) {
      const dc = core.get(h);
      core.objects.delete(h);
      if (dc) {
        dc.onopen = dc.onmessage = dc.onclose = dc.onerror = dc.onbufferedamountlow = null;
        try { dc.close(); } catch (e) { /* closed already */ }
      }
    },
  });
})(ferryCore);
