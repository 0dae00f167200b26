// Streaming BLAKE2b-256 on top of crypto_generichash. See blake2b.h.
#include "crypto/blake2b.h"

#include <cassert>

#include "crypto/sodium_init.h"

namespace ferry::crypto {

Blake2b::Blake2b() {
  ensure_sodium_init();
  crypto_generichash_init(&state_, nullptr, 0, kBlake2bBytes);
}

void Blake2b::update(ByteView data) {
  assert(!finished_);
  crypto_generichash_update(&state_, data.data(), data.size());
}

Blake2bDigest Blake2b::final() {
  assert(!finished_);
  finished_ = true;
  Blake2bDigest out{};
  crypto_generichash_final(&state_, out.data(), out.size());
  return out;
}

Blake2bDigest blake2b_256(ByteView data) {
  Blake2b h;
  h.update(data);
  return h.final();
}

}  // namespace ferry::crypto
