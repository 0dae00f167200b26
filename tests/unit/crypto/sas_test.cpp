// Tests for crypto/sas: both sides get the same 40 bits; a different key or transcript changes
// them.
#include "crypto/sas.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace ferry;
using namespace ferry::crypto;
using ferry::crypto::testing::handshake;

TEST_CASE("both sides compute the same SAS") {
  auto [a, b] = handshake("pw", "pw");
  CHECK(sas_bytes(a.keys.sas, a.cpace.sid_output) == sas_bytes(b.keys.sas, b.cpace.sid_output));
}

TEST_CASE("SAS differs when the keys differ") {
  auto [a, b] = handshake("pw", "pw2");
  CHECK(sas_bytes(a.keys.sas, a.cpace.sid_output) != sas_bytes(b.keys.sas, b.cpace.sid_output));
  auto [c, d] = handshake("pw", "pw");
  (void)d;
  CHECK(sas_bytes(a.keys.sas, a.cpace.sid_output) != sas_bytes(c.keys.sas, c.cpace.sid_output));
}

TEST_CASE("SAS depends on the transcript and is stable for fixed input") {
  std::array<uint8_t, kKeyBytes> k{};
  k.fill(0x42);
  const SecretKey key(k.data());
  const Bytes t1{1, 2, 3}, t2{1, 2, 4};
  CHECK(sas_bytes(key, t1) != sas_bytes(key, t2));
  // Computed independently with Python hashlib.blake2b (keyed, 16-byte output, first 5 bytes).
  CHECK(to_hex(sas_bytes(key, t1)) == "a78e3cf20a");
}
