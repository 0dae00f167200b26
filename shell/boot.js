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
