// Per-chunk authenticated encryption of file data (XChaCha20-Poly1305-IETF).
//
// Every chunk is sealed under a per-file key derived from the session's data key. The
// associated data binds (transfer_id, file_id, chunk_index, last flag), so a chunk cannot be
// moved to another position, file or transfer, and a truncated file (a non-last chunk presented
// as the end) fails authentication. The 24-byte nonce is random and travels with the chunk;
// chunks may therefore be sent in any order, resent on resume, or spread over channels.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::crypto {

constexpr size_t kKeyBytes = 32;
constexpr size_t kChunkNonceBytes = 24;  // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
constexpr size_t kChunkTagBytes = 16;    // crypto_aead_xchacha20poly1305_ietf_ABYTES

// Secret keys are wiped with sodium_memzero when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(const uint8_t* bytes);  // copies kKeyBytes
  SecretKey(const SecretKey&);
  SecretKey& operator=(const SecretKey&);
  ~SecretKey();
  const uint8_t* data() const { return k_.data(); }
  uint8_t* data() { return k_.data(); }

 private:
  std::array<uint8_t, kKeyBytes> k_{};
};

struct ChunkId {
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t index = 0;
  bool last = false;
};

// Derives the per-file key: crypto_kdf from the data key with subkey id = (transfer_id << 32 | file_id).
SecretKey derive_file_key(const SecretKey& data_key, uint32_t transfer_id, uint32_t file_id);

// Output: nonce (24) || ciphertext || tag (16), appended to `out` (which is cleared first).
void seal_chunk(Bytes& out, const SecretKey& file_key, const ChunkId& id, ByteView plaintext,
                const RandomFn& rng);

// Opens what seal_chunk produced. On failure returns Error{"bad_mac"} and `out` is cleared.
Status open_chunk(Bytes& out, const SecretKey& file_key, const ChunkId& id, ByteView sealed);

// The same seal into caller memory: `out` has sealed_chunk_size(plaintext.size()) bytes and
// must not overlap `plaintext`.
void seal_chunk_to(uint8_t* out, const SecretKey& file_key, const ChunkId& id, ByteView plaintext,
                   const RandomFn& rng);

// Opens a sealed chunk in place: on success the plaintext is `sealed` from byte
// kChunkNonceBytes on, sealed.size() - kChunkNonceBytes - kChunkTagBytes bytes long (returned).
// The tag is checked before anything is decrypted: a forged chunk never yields plaintext (on
// failure libsodium clears the ciphertext bytes; the buffer is to be dropped).
Result<std::span<uint8_t>> open_chunk_in_place(std::span<uint8_t> sealed, const SecretKey& file_key,
                                               const ChunkId& id);

constexpr size_t sealed_chunk_size(size_t plaintext) {
  return kChunkNonceBytes + plaintext + kChunkTagBytes;
}

}  // namespace ferry::crypto
