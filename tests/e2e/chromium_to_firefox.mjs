// e2e.chromium_to_firefox: A in Chromium sends a 20 MB random file and a file with a unicode
// name; B in Firefox ESR opens the link and saves both (names and SHA-256 match); then B sends a
// file back and A saves it. See lib/cross_browser.mjs.
import { runCrossBrowser } from './lib/cross_browser.mjs';

await runCrossBrowser('chromium_to_firefox', 'chromium', 'firefox');
