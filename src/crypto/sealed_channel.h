// Sealed signalling messages: everything relayed by the server after the PAKE (SDP, ICE
// candidates, control) is AEAD-sealed under the sending direction's signal key.
//
//   wire = seq (u64 LE) || XChaCha20-Poly1305(plaintext) || tag (16)
//   nonce = seq (u64 LE) || 16 zero bytes; AD = "ferry-signal-v1" || sender role byte || seq
//
// The sender numbers messages 1, 2, 3, ... (a nonce never repeats under a key). The receiver
// accepts only a seq strictly greater than the last one accepted: gaps are allowed (the relay may
// drop), replays and reordering are not. Keys are per direction, so a message reflected back to
// its sender fails to open.
#pragma once

#include <cstdint>

#include "crypto/chunk_aead.h"
#include "crypto/cpace.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::crypto {

constexpr size_t kSealedSeqBytes = 8;   // u64 sequence number prefix
constexpr size_t kSealedTagBytes = 16;  // crypto_aead_xchacha20poly1305_ietf_ABYTES
constexpr size_t kSealedOverheadBytes = kSealedSeqBytes + kSealedTagBytes;
// Largest plaintext, in bytes. An SDP with many candidates stays far below 64 KiB; the rest is
// headroom for a sealed manifest of many files. Bigger input is refused before any crypto.
constexpr size_t kMaxSealedPlaintextBytes = 1024 * 1024;

class SealedSender {
 public:
  // `sender` is our own role: it picks the direction label in the AD.
  SealedSender(const SecretKey& key, Role sender);
  // Error "too_large" above kMaxSealedPlaintextBytes.
  Result<Bytes> seal(ByteView plaintext);
  uint64_t next_seq() const { return next_seq_; }

 private:
  SecretKey key_;
  Role sender_;
  uint64_t next_seq_ = 1;
};

class SealedReceiver {
 public:
  // `sender` is the peer's role (the one who sealed what we will open).
  SealedReceiver(const SecretKey& key, Role sender);
  // Errors: "malformed" (too short or too long), "replay" (seq not above the last accepted),
  // "bad_mac" (forged, damaged or wrong key). State changes only on success.
  Result<Bytes> open(ByteView sealed);
  uint64_t last_seq() const { return last_seq_; }

 private:
  SecretKey key_;
  Role sender_;
  uint64_t last_seq_ = 0;  // 0 = nothing accepted yet; the sender's first seq is 1
};

}  // namespace ferry::crypto
