// Ferry's JS glue, part 8: the page itself: its address (secrets leave it once parsed), this
// tab's join record, where the signalling server is, and the browser's CSPRNG.
'use strict';
(function (core) {
  core.provide({
    // Fills (ptr, len) of wasm memory from the browser's CSPRNG (len <= 65536).
    randomFill(ptr, len) { crypto.getRandomValues(HEAPU8.subarray(ptr, ptr + len)); },
    // Secrets leave the address bar once parsed: the URL becomes `path` (no query, no
    // fragment) without a navigation or a new history entry.
    clearAddress(path) {
      try { history.replaceState(null, '', path); } catch (e) { /* sandboxed */ }
    },
    // This tab's join record (link with its secret, resume token, verification words): kept in
    // sessionStorage, so a reload of the tab resumes and a copied or synced URL carries nothing.
    loadJoin() {
      try { return sessionStorage.getItem('ferry.join') || ''; } catch (e) { return ''; }
    },
    saveJoin(text) {
      try {
        if (text) sessionStorage.setItem('ferry.join', text); else sessionStorage.removeItem('ferry.join');
      } catch (e) { /* storage off: a reload starts afresh */ }
    },
    location() {
      return { origin: location.origin, path: location.pathname, search: location.search, hash: location.hash };
    },
    // The signalling WebSocket's URL. By default the page's own server (/ws on this origin). A
    // deployment that hosts the page elsewhere names its signalling server in the shell page:
    // <meta name="ferry-signal" content="wss://signal.example.org"> (the path /ws is added when
    // the URL has none). Links still point at the page's own origin.
    signalUrl() {
      const meta = document.querySelector('meta[name="ferry-signal"]');
      const configured = meta ? meta.content.trim() : '';
      if (configured) {
        try {
          const u = new URL(configured);
          if ((u.protocol === 'ws:' || u.protocol === 'wss:') && !u.search && !u.hash) {
            if (u.pathname === '/') u.pathname = '/ws';
            return u.href;
          }
        } catch (e) { /* reported below */ }
        console.error('ferry-signal must be a ws: or wss: URL without query or fragment; using this origin');
      }
      return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
    },
  });
})(ferryCore);
