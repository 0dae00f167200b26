// Sealed signalling messages with per-direction keys and strictly increasing sequence numbers.
// See sealed_channel.h.
#include "crypto/sealed_channel.h"

#include <sodium.h>

#include <array>
#include <cassert>
#include <string_view>

#include "crypto/sodium_init.h"

namespace ferry::crypto {
namespace {

static_assert(kSealedTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

// Domain label in the AD; versioned with the protocol.
constexpr std::string_view kSignalLabel = "ferry-signal-v1";
using Nonce = std::array<uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>;

// seq (u64 LE) then zeros: unique per message under one direction's key.
Nonce nonce_for(uint64_t seq) {
  Bytes s;
  put_u64(s, seq);
  Nonce n{};
  std::copy(s.begin(), s.end(), n.begin());
  return n;
}

Bytes ad_for(Role sender, uint64_t seq) {
  Bytes ad(kSignalLabel.begin(), kSignalLabel.end());
  ad.push_back(sender == Role::Initiator ? 'A' : 'B');
  put_u64(ad, seq);
  return ad;
}

}  // namespace

SealedSender::SealedSender(const SecretKey& key, Role sender) : key_(key), sender_(sender) {
  ensure_sodium_init();
}

Result<Bytes> SealedSender::seal(ByteView plaintext) {
  if (plaintext.size() > kMaxSealedPlaintextBytes) {
    return make_error("too_large", "Message is too large to send.");
  }
  // 2^64 - 1 messages cannot be sent in a session; reaching it is a bug.
  assert(next_seq_ != UINT64_MAX);
  const uint64_t seq = next_seq_++;
  const Nonce n = nonce_for(seq);
  const Bytes ad = ad_for(sender_, seq);
  Bytes out;
  put_u64(out, seq);
  out.resize(kSealedSeqBytes + plaintext.size() + kSealedTagBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kSealedSeqBytes, &clen, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr,
                                             n.data(), key_.data());
  assert(clen == plaintext.size() + kSealedTagBytes);
  return out;
}

SealedReceiver::SealedReceiver(const SecretKey& key, Role sender) : key_(key), sender_(sender) {
  ensure_sodium_init();
}

Result<Bytes> SealedReceiver::open(ByteView sealed) {
  if (sealed.size() < kSealedOverheadBytes ||
      sealed.size() > kSealedOverheadBytes + kMaxSealedPlaintextBytes) {
    return make_error("malformed", "Sealed message has an impossible size.");
  }
  const uint64_t seq = get_u64(sealed.data());
  if (seq <= last_seq_) {
    return make_error("replay", "Sealed message was replayed or arrived out of order.");
  }
  const Nonce n = nonce_for(seq);
  const Bytes ad = ad_for(sender_, seq);
  const ByteView body = sealed.subspan(kSealedSeqBytes);
  Bytes out(body.size() - kSealedTagBytes);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &mlen, nullptr, body.data(),
                                                 body.size(), ad.data(), ad.size(), n.data(),
                                                 key_.data()) != 0) {
    return make_error("bad_mac", "Sealed message failed authentication.");
  }
  assert(mlen == out.size());
  last_seq_ = seq;
  return out;
}

}  // namespace ferry::crypto
