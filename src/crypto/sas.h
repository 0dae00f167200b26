// Short authentication string: 40 bits both peers compute from the SAS key and the transcript,
// shown to users (as 4 words of 10 bits) to compare out of band.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/chunk_aead.h"
#include "util/bytes.h"

namespace ferry::crypto {

constexpr size_t kSasBytes = 5;  // 40 bits: 4 words from a 1024-word list
using SasBytes = std::array<uint8_t, kSasBytes>;

// `transcript` is CpaceResult::sid_output; both sides get the same bytes.
SasBytes sas_bytes(const SecretKey& sas_key, ByteView transcript);

}  // namespace ferry::crypto
