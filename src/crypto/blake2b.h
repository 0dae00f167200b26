// Streaming BLAKE2b-256 (libsodium crypto_generichash), for whole-file hashes in manifests:
// files are hashed chunk by chunk as they are read or verified, never held whole in memory.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>

#include "util/bytes.h"

namespace ferry::crypto {

constexpr size_t kBlake2bBytes = 32;  // BLAKE2b-256: 128-bit collision resistance is plenty
using Blake2bDigest = std::array<uint8_t, kBlake2bBytes>;

class Blake2b {
 public:
  Blake2b();
  void update(ByteView data);
  // Ends the hash. Call once; the object must not be updated afterwards.
  Blake2bDigest final();

 private:
  crypto_generichash_state state_;
  bool finished_ = false;
};

// One-shot BLAKE2b-256.
Blake2bDigest blake2b_256(ByteView data);

}  // namespace ferry::crypto
