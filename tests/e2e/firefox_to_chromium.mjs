// e2e.firefox_to_chromium: A in Firefox ESR creates the session and sends a 20 MB random file and
// a file with a unicode name; B in Chromium opens the link and saves both (names and SHA-256
// match); then B sends a file back and A saves it in Firefox. See lib/cross_browser.mjs.
import { runCrossBrowser } from './lib/cross_browser.mjs';

await runCrossBrowser('firefox_to_chromium', 'firefox', 'chromium');
