// e2e.nearby_lan: three browsers behind one NAT router see each other's tiles, a fourth behind
// another sees none; A sends to B by tapping B's tile, B accepts, the SHA-256 matches
// (lib/nearby.mjs).
import { runNearby } from './lib/nearby.mjs';

await runNearby(false);
