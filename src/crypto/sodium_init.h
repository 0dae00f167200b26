// One place that makes sure libsodium is initialised before the crypto module uses it, so the
// core works whether or not the embedding program called sodium_init() itself.
#pragma once

#include <sodium.h>

#include <cstdlib>

namespace ferry::crypto {

// Cheap after the first call (a function-local static). sodium_init() only fails when the
// platform has no usable CSPRNG; no key can be made safely then, so we stop.
inline void ensure_sodium_init() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

}  // namespace ferry::crypto
