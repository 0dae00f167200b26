// Per-chunk AEAD for file data: XChaCha20-Poly1305-IETF with a random nonce and the chunk's
// position bound in the associated data. See chunk_aead.h.
#include "crypto/chunk_aead.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

#include "crypto/sodium_init.h"

namespace ferry::crypto {
namespace {

// Domain label at the start of the associated data, so a chunk can never be confused with any
// other message sealed under a related key. Bumped if the AD layout ever changes.
constexpr char kChunkLabel[] = "ferry-chunk-v1";
constexpr size_t kChunkLabelBytes = sizeof(kChunkLabel) - 1;
// label || transfer_id u32 || file_id u32 || index u64 || last u8, little-endian.
constexpr size_t kChunkAdBytes = kChunkLabelBytes + 4 + 4 + 8 + 1;
// crypto_kdf contexts are exactly 8 characters; this one names per-file keys.
constexpr char kFileKeyContext[crypto_kdf_CONTEXTBYTES + 1] = "ferryfil";

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kKeyBytes == crypto_kdf_KEYBYTES);
static_assert(kChunkNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kChunkTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

std::array<uint8_t, kChunkAdBytes> chunk_ad(const ChunkId& id) {
  Bytes ad;
  ad.reserve(kChunkAdBytes);
  ad.insert(ad.end(), kChunkLabel, kChunkLabel + kChunkLabelBytes);
  put_u32(ad, id.transfer_id);
  put_u32(ad, id.file_id);
  put_u64(ad, id.index);
  ad.push_back(id.last ? 1 : 0);
  assert(ad.size() == kChunkAdBytes);
  std::array<uint8_t, kChunkAdBytes> out{};
  std::memcpy(out.data(), ad.data(), kChunkAdBytes);
  return out;
}

}  // namespace

SecretKey::SecretKey(const uint8_t* bytes) {
  std::memcpy(k_.data(), bytes, kKeyBytes);
}
SecretKey::SecretKey(const SecretKey& other) : k_(other.k_) {}
SecretKey& SecretKey::operator=(const SecretKey& other) {
  k_ = other.k_;
  return *this;
}
SecretKey::~SecretKey() {
  sodium_memzero(k_.data(), k_.size());
}

SecretKey derive_file_key(const SecretKey& data_key, uint32_t transfer_id, uint32_t file_id) {
  ensure_sodium_init();
  SecretKey out;
  const uint64_t subkey_id = (static_cast<uint64_t>(transfer_id) << 32) | file_id;
  crypto_kdf_derive_from_key(out.data(), kKeyBytes, subkey_id, kFileKeyContext, data_key.data());
  return out;
}

void seal_chunk_to(uint8_t* out, const SecretKey& file_key, const ChunkId& id, ByteView plaintext,
                   const RandomFn& rng) {
  ensure_sodium_init();
  const auto ad = chunk_ad(id);
  rng(out, kChunkNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kChunkNonceBytes, &clen, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr, out,
                                             file_key.data());
  assert(clen == plaintext.size() + kChunkTagBytes);
}

void seal_chunk(Bytes& out, const SecretKey& file_key, const ChunkId& id, ByteView plaintext,
                const RandomFn& rng) {
  out.resize(sealed_chunk_size(plaintext.size()));
  seal_chunk_to(out.data(), file_key, id, plaintext, rng);
}

Result<std::span<uint8_t>> open_chunk_in_place(std::span<uint8_t> sealed, const SecretKey& file_key,
                                               const ChunkId& id) {
  ensure_sodium_init();
  if (sealed.size() < kChunkNonceBytes + kChunkTagBytes) {
    return make_error("bad_mac", "Encrypted chunk is too short to be valid.");
  }
  const auto ad = chunk_ad(id);
  uint8_t* body = sealed.data() + kChunkNonceBytes;
  const size_t body_len = sealed.size() - kChunkNonceBytes;
  // libsodium verifies the tag first and decrypts only then; the plaintext may overlap the
  // ciphertext exactly (m == c).
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(body, &mlen, nullptr, body, body_len, ad.data(),
                                                 ad.size(), sealed.data(), file_key.data()) != 0) {
    return make_error("bad_mac", "Encrypted chunk failed authentication (damaged or misplaced).");
  }
  assert(mlen == body_len - kChunkTagBytes);
  return sealed.subspan(kChunkNonceBytes, body_len - kChunkTagBytes);
}

Status open_chunk(Bytes& out, const SecretKey& file_key, const ChunkId& id, ByteView sealed) {
  out.assign(sealed.begin(), sealed.end());
  auto plain = open_chunk_in_place(out, file_key, id);
  if (!plain) {
    out.clear();
    return plain.error();
  }
  out.erase(out.begin(), out.begin() + kChunkNonceBytes);
  out.resize(plain->size());
  return Ok{};
}

}  // namespace ferry::crypto
