// Tests for util/bytes: codecs round-trip and reject malformed input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "util/bytes.h"
#include "util/format.h"

using namespace ferry;

TEST_CASE("hex round-trips and rejects odd or non-hex input") {
  Bytes b{0x00, 0xab, 0xff};
  CHECK(to_hex(b) == "00abff");
  CHECK(from_hex("00abff") == b);
  CHECK_FALSE(from_hex("0ab"));
  CHECK_FALSE(from_hex("zz"));
}

TEST_CASE("base64url round-trips without padding and rejects garbage") {
  for (size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 37 + 11);
    auto s = to_base64url(b);
    CHECK(s.find('=') == std::string::npos);
    CHECK(from_base64url(s) == b);
  }
  CHECK_FALSE(from_base64url("ab$d"));
  CHECK_FALSE(from_base64url("abc=")); // padding is not allowed in this variant
}

TEST_CASE("base64url rejects non-ASCII bytes that libsodium 1.0.18 lets through") {
  CHECK_FALSE(from_base64url("\x87\x32\x8b\x8b"));
}

TEST_CASE("base64url accepts only the canonical encoding") {
  CHECK(from_base64url("AA") == Bytes{0});
  CHECK_FALSE(from_base64url("AB"));  // unused low bits set
  CHECK_FALSE(from_base64url("A"));   // one character cannot encode a byte
}

TEST_CASE("hex of no bytes is the empty string") { CHECK(to_hex(Bytes{}).empty()); }

// Found by util_codec_fuzz under UBSan: from_hex("") handed sodium_hex2bin the null data() of
// an empty vector (declared nonnull). The native-debug preset halts on it.
TEST_CASE("the empty hex string decodes to no bytes") {
  CHECK(from_hex("") == Bytes{});
  CHECK(from_hex(std::string_view{}) == Bytes{});
}

TEST_CASE("little-endian integers round-trip") {
  Bytes out;
  put_u16(out, 0x1234);
  put_u32(out, 0xdeadbeef);
  put_u64(out, 0x0102030405060708ull);
  REQUIRE(out.size() == 14);
  CHECK(get_u16(out.data()) == 0x1234);
  CHECK(get_u32(out.data() + 2) == 0xdeadbeef);
  CHECK(get_u64(out.data() + 6) == 0x0102030405060708ull);
}

TEST_CASE("byte counts are shown in decimal units with one decimal") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1500) == "1.5 KB");
  CHECK(format_bytes(50e6) == "50.0 MB");
  CHECK(format_bytes(4.3e9) == "4.3 GB");
}

TEST_CASE("the pooled CSPRNG hands out each byte once and large draws in full") {
  auto rng = pooled_random();
  std::vector<uint8_t> a(24), b(24);
  rng(a.data(), a.size());
  rng(b.data(), b.size());
  CHECK(a != b);
  // Many small draws across refills never repeat a 24-byte value.
  std::set<std::vector<uint8_t>> seen;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> n(24);
    rng(n.data(), n.size());
    CHECK(seen.insert(n).second);
  }
  std::vector<uint8_t> big(kRandomPoolBytes * 2, 0);
  rng(big.data(), big.size());
  CHECK(std::count(big.begin(), big.end(), 0) < 64);  // filled, not left zero
}
