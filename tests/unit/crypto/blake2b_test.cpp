// Tests for crypto/blake2b: streaming equals one-shot and matches the known BLAKE2b-256 value.
#include "crypto/blake2b.h"

#include <catch2/catch.hpp>

using namespace ferry;
using namespace ferry::crypto;

TEST_CASE("blake2b-256 of known inputs matches the reference values") {
  // BLAKE2b-256("") and BLAKE2b-256("abc"), from the BLAKE2 reference implementation.
  CHECK(to_hex(blake2b_256({})) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(to_hex(blake2b_256(as_bytes("abc"))) ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_CASE("streaming blake2b in pieces equals one-shot") {
  Bytes data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 5);
  Blake2b h;
  size_t pos = 0;
  for (size_t step : {size_t(1), size_t(127), size_t(128), size_t(129), size_t(65536)}) {
    h.update(ByteView(data).subspan(pos, step));
    pos += step;
  }
  h.update(ByteView(data).subspan(pos));
  CHECK(h.final() == blake2b_256(data));
}
