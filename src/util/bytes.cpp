// Byte helpers on top of libsodium's constant-time codecs.
#include "util/bytes.h"

#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>

namespace ferry {

void random_bytes(uint8_t* out, size_t len) {
  if (sodium_init() < 0) abort();  // cannot happen after the first successful call
  randombytes_buf(out, len);
}

RandomFn default_random() { return random_bytes; }

namespace {
struct RandomPool {
  RandomFn fill;
  std::array<uint8_t, kRandomPoolBytes> bytes{};
  size_t used = kRandomPoolBytes;  // empty: filled on first use
  ~RandomPool() { sodium_memzero(bytes.data(), bytes.size()); }
  void take(uint8_t* out, size_t len) {
    if (len > kRandomPoolBytes / 4) return fill(out, len);  // large draws go direct
    if (kRandomPoolBytes - used < len) {
      fill(bytes.data(), bytes.size());
      used = 0;
    }
    std::memcpy(out, bytes.data() + used, len);
    sodium_memzero(bytes.data() + used, len);
    used += len;
  }
};
}  // namespace

RandomFn pooled_random(RandomFn fill) {
  auto pool = std::make_shared<RandomPool>();
  pool->fill = std::move(fill);
  return [pool](uint8_t* out, size_t len) { pool->take(out, len); };
}

std::string to_hex(ByteView b) {
  if (b.empty()) return {};  // sodium_bin2hex must not get a null pointer
  std::string s(b.size() * 2 + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), b.data(), b.size());
  s.pop_back();
  return s;
}

std::optional<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  if (hex.empty()) return Bytes{};  // sodium_hex2bin must not get the null data() of no bytes
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return out;
}

static std::string encode64(ByteView b, int variant) {
  std::string s(sodium_base64_encoded_len(b.size(), variant), '\0');
  sodium_bin2base64(s.data(), s.size(), b.data(), b.size(), variant);
  s.pop_back();  // trailing NUL
  return s;
}

std::string to_base64url(ByteView b) {
  return encode64(b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
std::string to_base64(ByteView b) { return encode64(b, sodium_base64_VARIANT_ORIGINAL); }

static bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::optional<Bytes> from_base64url(std::string_view s) {
  // libsodium 1.0.18 accepts some non-ASCII bytes (found by util_codec_fuzz), so check the
  // alphabet first, and accept only the canonical encoding (unused trailing bits zero).
  for (char c : s) {
    if (!is_base64url_char(c)) return std::nullopt;
  }
  if (s.size() % 4 == 1) return std::nullopt;
  Bytes out(s.size() * 3 / 4 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != s.data() + s.size()) {
    return std::nullopt;
  }
  out.resize(len);
  if (to_base64url(out) != s) return std::nullopt;
  return out;
}

void put_u16(Bytes& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void put_u32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
void put_u64(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
uint16_t get_u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace ferry
