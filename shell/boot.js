// Configures the Emscripten module before ferry.js loads (a file, not inline: the CSP forbids
// inline scripts).
'use strict';
var Module = { canvas: document.getElementById('canvas') };
