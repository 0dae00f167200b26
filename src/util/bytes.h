// Byte buffers and small helpers shared by the core: hex, base64url, little-endian codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// Randomness is handed to the core, so tests can make it deterministic.
// The default (random_bytes) is libsodium's randombytes_buf: the OS CSPRNG natively,
// crypto.getRandomValues in the browser.
using RandomFn = std::function<void(uint8_t* out, size_t len)>;
void random_bytes(uint8_t* out, size_t len);
RandomFn default_random();
// A CSPRNG `fill` drawn kRandomPoolBytes at a time and handed out from the pool (each byte
// once; served bytes are wiped). For the browser, where a draw is a call into
// crypto.getRandomValues (libsodium's wasm build even makes one per 4 bytes) and the data path
// needs a 24-byte nonce per chunk. Copies of the function share one pool: one thread only.
constexpr size_t kRandomPoolBytes = 4096;
RandomFn pooled_random(RandomFn fill = random_bytes);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string to_hex(ByteView b);
std::optional<Bytes> from_hex(std::string_view hex);

// RFC 4648 base64url without padding (URL fragments, JSON fields).
std::string to_base64url(ByteView b);
std::optional<Bytes> from_base64url(std::string_view s);
// Standard base64 with padding (TURN REST passwords).
std::string to_base64(ByteView b);

void put_u16(Bytes& out, uint16_t v);
void put_u32(Bytes& out, uint32_t v);
void put_u64(Bytes& out, uint64_t v);
uint16_t get_u16(const uint8_t* p);
uint32_t get_u32(const uint8_t* p);
uint64_t get_u64(const uint8_t* p);

}  // namespace ferry
