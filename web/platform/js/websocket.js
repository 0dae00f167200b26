// Ferry's JS glue, part 2: the signalling WebSocket (platform/websocket.h).
// Events on a ws handle: open, text, error, closed (number = close code, text = reason).
// Binary messages (frames through the server's relay) are data (core.js), not events.
'use strict';
(function (core) {
  core.provide({
    wsOpen(url, protocol) {
      let ws;
      try {
        ws = new WebSocket(url, protocol);
      } catch (e) {
        const h = core.add(null, 'ws');
        setTimeout(() => core.emit(h, 'error', core.errorText(e)), 0);
        return h;
      }
      ws.binaryType = 'arraybuffer';
      const h = core.add(ws, 'ws');
      ws.onopen = () => core.emit(h, 'open');
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') core.emit(h, 'text', ev.data);
        else {
          core.stats.relayReceived++;
          core.stats.relayReceivedBytes += ev.data.byteLength;
          core.queueData(core.kDataKind.server, h, 0, new Uint8Array(ev.data));
        }
      };
      ws.onerror = () => core.emit(h, 'error', 'connection to the server failed');
      ws.onclose = (ev) => {
        core.emit(h, 'closed', ev.reason || '', null, ev.code);
        core.objects.delete(h);
      };
      return h;
    },
    wsSend(h, text) {
      const ws = core.get(h);
      if (!ws || ws.readyState !== 1) return false;
      ws.send(text);
      return true;
    },
    // A frame through the relay: (ptr, len) in wasm memory, copied by send() at once. Returns
    // the socket's bufferedAmount afterwards, or -1 when it cannot send.
    wsSendBinary(h, ptr, len) {
      const ws = core.get(h);
      if (!ws || ws.readyState !== 1) return -1;
      core.stats.relaySent++;
      core.stats.relaySentBytes += len;
      core.countChunk(ptr, len);
      ws.send(HEAPU8.subarray(ptr, ptr + len));
      return ws.bufferedAmount;
    },
    wsBuffered(h) {
      const ws = core.get(h);
      return ws ? ws.bufferedAmount : 0;
    },
    wsClose(h, code, reason) {
      const ws = core.get(h);
      core.objects.delete(h);
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try { ws.close(code, reason); } catch (e) { /* already closing */ }
      }
    },
  });
})(ferryCore);
