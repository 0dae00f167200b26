// Ferry's JS glue, part 2: the signalling WebSocket (platform/websocket.h).
// Events on a ws handle: open, text, error, closed (number = close code, text = reason).
// Binary messages (frames through the server's relay) are data (core.js), not events.
'use strict';
(function (core) {
  const add = core.add;
  const get = core.get;
  const emit = core.emit;
  const errorText = core.errorText;
  const queueData = core.queueData;
  const kDataKind = core.kDataKind;
  const objects = core.objects;
  core.provide({
    wsOpen(url, protocol) {
      let ws;
      try {
        ws = new WebSocket(url, protocol);
      } catch (e) {
        const h = add(null, 'ws');
        setTimeout(() => emit(h, 'error', errorText(e)), 0);
        return h;
      }
      ws.binaryType = 'arraybuffer';
      const h = add(ws, 'ws');
      ws.onopen = () => emit(h, 'open');
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') emit(h, 'text', ev.data);
        else queueData(kDataKind.server, h, 0, new Uint8Array(ev.data));
      };
      ws.onerror = () => emit(h, 'error', 'connection to the server failed');
      ws.onclose = (ev) => {
        emit(h, 'closed', ev.reason || '', null, ev.code);
        objects.delete(h);
      };
      return h;
    },
    wsSend(h, text) {
      const ws = get(h);
      if (!ws || ws.readyState !== 1) return false;
      ws.send(text);
      return true;
    },
    // A frame through the relay: (ptr, len) in wasm memory, copied by send() at once. Returns
    // the socket's bufferedAmount afterwards, or -1 when it cannot send.
    wsSendBinary(h, ptr, len) {
      const ws = get(h);
      if (!ws || ws.readyState !== 1) return -1;
      ws.send(HEAPU8.subarray(ptr, ptr + len));
      return ws.bufferedAmount;
    },
    wsBuffered(h) {
      const ws = get(h);
      return ws ? ws.bufferedAmount : 0;
    },
    wsClose(h, code, reason) {
      const ws = get(h);
      objects.delete(h);
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try { ws.close(code, reason); } catch (e) { /* already closing */ }
      }
    },
  });
})(ferryCore);
