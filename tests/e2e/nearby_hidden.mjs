// e2e.nearby_hidden: a device that hides itself is not listed by the others (lib/nearby.mjs).
import { runNearby } from './lib/nearby.mjs';

await runNearby(true);
