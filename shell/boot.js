// Configures the Emscripten module before ferry.js loads (a file, not inline: the CSP forbids
// inline scripts).
'use strict';
var Module = { canvas: document.getElementById('canvas') };

// ferry.wasm uses WebAssembly SIMD (libsodium's ChaCha20, see bench/README.md "Crypto"): an older
// browser cannot compile it, so say so instead of showing an empty page. The probe is the
// smallest module with a SIMD instruction (i8x16.splat, i8x16.popcnt), as in wasm-feature-detect.
var kWasmSimdProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
  0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
if (typeof WebAssembly !== 'object' || !WebAssembly.validate(kWasmSimdProbe)) {
  var tooOld = document.createElement('p');
  tooOld.className = 'ferry-unsupported';
  tooOld.textContent = 'This browser is too old for Ferry: it needs WebAssembly SIMD ' +
    '(Chrome or Edge 91+, Firefox 89+, Safari 16.4+). Please update it.';
  document.body.replaceChildren(tooOld);
  Module.noInitialRun = true;
}

// The service worker (shell/sw.js): the page opens without a network, and files shared into
// Ferry arrive through it. Browsers allow it only in a secure context (https, or localhost).
// Registered once the client runs: its install then copies what this load fetched from the
// HTTP cache instead of downloading the shell a second time beside the page.
if ('serviceWorker' in navigator && window.isSecureContext) {
  Module.postRun = [function () {
    navigator.serviceWorker.register('/sw.js').catch(function (e) {
      console.error('the service worker could not be registered: ' + e);
    });
  }];
}

// Offline: the page came from the service worker's cache, or the network went away. Nothing can
// be sent or received without the server, so say so at once rather than fail at the first
// step. The probe is a HEAD of the page, which the service worker leaves to the network and
// every host of the page answers (also a static host in front of a --signal-only server).
(function () {
  var kOfflineText = 'Offline: Ferry needs a connection to send or receive files, and cannot ' +
    'reach its server now. Check this device\'s network, then reload the page.';
  var banner = null;
  function show(offline) {
    if (!offline) {
      if (banner) banner.hidden = true;
      return;
    }
    if (!banner) {
      banner = document.createElement('p');
      banner.id = 'ferry-offline';
      banner.className = 'ferry-offline';
      banner.setAttribute('role', 'alert');
      banner.textContent = kOfflineText;
      document.body.appendChild(banner);
    }
    banner.hidden = false;
  }
  function probe() {
    if (navigator.onLine === false) return show(true);
    fetch('/', { method: 'HEAD', cache: 'no-store' })
      .then(function () { show(false); }, function () { show(true); });
  }
  window.addEventListener('online', probe);
  window.addEventListener('offline', function () { show(true); });
  probe();
})();
