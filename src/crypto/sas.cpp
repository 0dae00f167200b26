// Short authentication string bytes. See sas.h.
#include "crypto/sas.h"

#include <sodium.h>

#include <string_view>

#include "crypto/sodium_init.h"

namespace ferry::crypto {
namespace {

// Domain label so SAS bytes never equal any other value derived from the same key.
constexpr std::string_view kSasLabel = "ferry-sas-v1";
// BLAKE2b's smallest output in libsodium; the first kSasBytes of it are used.
constexpr size_t kSasHashBytes = crypto_generichash_BYTES_MIN;
static_assert(kSasBytes <= kSasHashBytes);

}  // namespace

SasBytes sas_bytes(const SecretKey& sas_key, ByteView transcript) {
  ensure_sodium_init();
  crypto_generichash_state st;
  crypto_generichash_init(&st, sas_key.data(), kKeyBytes, kSasHashBytes);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kSasLabel.data()),
                            kSasLabel.size());
  crypto_generichash_update(&st, transcript.data(), transcript.size());
  std::array<uint8_t, kSasHashBytes> h{};
  crypto_generichash_final(&st, h.data(), h.size());
  SasBytes out{};
  std::copy(h.begin(), h.begin() + kSasBytes, out.begin());
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace ferry::crypto
