// Ferry's JS glue, part 2: the signalling WebSocket (platform/websocket.h).
// Events on a ws handle: open, text, error, closed (number = close code, text = reason).
// Binary messages (frames through the server's relay) are data (core.js), not events.
'use strict';
(function (core) {
  // The server's JWT hook (docs/protocol.md "JWT"): an embedding site opens the page with
  // ?jwt=<token>. The token leaves the address bar at once, before the client reads the URL (as
  // link secrets do), stays in this tab (memory, and sessionStorage for a reload) and travels
  // only in the WebSocket subprotocol list, as "ferry.jwt.<token>" beside the protocol.
  const kJwtStorageKey = 'ferry.jwt';
  const kJwtProtocolPrefix = 'ferry.jwt.';
  // A compact JWS is base64url and dots, all allowed in a subprotocol; 8 KiB as the server.
  const kJwtPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
  const kMaxJwtChars = 8 * 1024;
  const jwt = (function takeJwt() {
    let token = null;
    try {
      const u = new URL(location.href);
      token = u.searchParams.get('jwt');
      if (token !== null) {
        u.searchParams.delete('jwt');
        history.replaceState(history.state, '', u.pathname + u.search + u.hash);
      }
    } catch (e) { /* sandboxed: the token stays where it is */ }
    if (token !== null && (token.length > kMaxJwtChars || !kJwtPattern.test(token))) {
      console.warn('ignoring a malformed ?jwt= parameter');
      token = null;
    }
    try {
      if (token !== null) sessionStorage.setItem(kJwtStorageKey, token);
      else token = sessionStorage.getItem(kJwtStorageKey);
    } catch (e) { /* storage off: a reload goes without it */ }
    return token || '';
  })();

  core.provide({
    wsOpen(url, protocol) {
      let ws;
      try {
        ws = new WebSocket(url, jwt ? [protocol, kJwtProtocolPrefix + jwt] : protocol);
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
