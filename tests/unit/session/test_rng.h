// Deterministic randomness for the session tests: a counter, so runs are repeatable.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace ferry::session::test {

inline RandomFn counting_random(uint8_t start = 0) {
  return [next = start](uint8_t* out, size_t len) mutable {
    for (size_t i = 0; i < len; ++i) out[i] = next++;
  };
}

// Always the same byte: a fixed, known output.
inline RandomFn constant_random(uint8_t value) {
  return [value](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = value;
  };
}

}  // namespace ferry::session::test
