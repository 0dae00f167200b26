// Helpers for the server's unit tests: a deterministic RandomFn and a manual clock.
#pragma once

#include <cstdint>
#include <cstring>

#include "util/bytes.h"

namespace ferry::server::testing {

// A counter-based byte stream: deterministic, and different on every call.
inline RandomFn counting_random() {
  auto state = std::make_shared<uint64_t>(0x9e3779b97f4a7c15ULL);
  return [state](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) {
      *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
      out[i] = static_cast<uint8_t>(*state >> 56);
    }
  };
}

}  // namespace ferry::server::testing
