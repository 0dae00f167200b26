// Tests for crypto/chunk_aead: chunks round-trip, and any change of key, position, flag or
// bytes fails authentication.
#include "crypto/chunk_aead.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace ferry;
using namespace ferry::crypto;
using ferry::crypto::testing::key_of;

namespace {

Bytes sample(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 31 + 7);
  return b;
}

}  // namespace

TEST_CASE("sealed chunk opens to the same bytes") {
  const auto fk = derive_file_key(key_of(1), 7, 3);
  const ChunkId id{7, 3, 42, false};
  for (size_t n : {size_t(0), size_t(1), size_t(1000), size_t(64 * 1024)}) {
    const Bytes pt = sample(n);
    Bytes sealed;
    seal_chunk(sealed, fk, id, pt, default_random());
    CHECK(sealed.size() == sealed_chunk_size(n));
    Bytes out{1, 2, 3};
    REQUIRE(open_chunk(out, fk, id, sealed).ok());
    CHECK(out == pt);
  }
}

TEST_CASE("chunk nonces are random, so equal chunks seal differently") {
  const auto fk = derive_file_key(key_of(1), 1, 1);
  Bytes a, b;
  seal_chunk(a, fk, {1, 1, 0, false}, sample(100), default_random());
  seal_chunk(b, fk, {1, 1, 0, false}, sample(100), default_random());
  CHECK(a != b);
}

TEST_CASE("chunk moved to another index, file, transfer or last flag fails") {
  const auto fk = derive_file_key(key_of(2), 9, 4);
  const ChunkId id{9, 4, 5, false};
  Bytes sealed;
  seal_chunk(sealed, fk, id, sample(300), default_random());
  Bytes out;
  for (ChunkId other : {ChunkId{9, 4, 6, false}, ChunkId{9, 5, 5, false}, ChunkId{8, 4, 5, false},
                        ChunkId{9, 4, 5, true}}) {
    const auto st = open_chunk(out, fk, other, sealed);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "bad_mac");
    CHECK(out.empty());
  }
}

TEST_CASE("tampered or truncated chunk fails") {
  const auto fk = derive_file_key(key_of(3), 1, 2);
  const ChunkId id{1, 2, 0, true};
  Bytes sealed;
  seal_chunk(sealed, fk, id, sample(50), default_random());
  Bytes out;
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    CHECK_FALSE(open_chunk(out, fk, id, bad).ok());
  }
  for (size_t n :
       {size_t(0), size_t(10), kChunkNonceBytes + kChunkTagBytes - 1, sealed.size() - 1}) {
    CHECK_FALSE(open_chunk(out, fk, id, ByteView(sealed).first(n)).ok());
  }
}

TEST_CASE("per-file keys differ by file, by transfer and by data key") {
  const auto base = derive_file_key(key_of(4), 1, 1);
  const auto same = derive_file_key(key_of(4), 1, 1);
  CHECK(std::equal(base.data(), base.data() + kKeyBytes, same.data()));
  for (const auto& other : {derive_file_key(key_of(4), 1, 2), derive_file_key(key_of(4), 2, 1),
                            derive_file_key(key_of(5), 1, 1)}) {
    CHECK_FALSE(std::equal(base.data(), base.data() + kKeyBytes, other.data()));
  }
  // A chunk sealed for one file does not open under another file's key.
  Bytes sealed, out;
  seal_chunk(sealed, base, {1, 1, 0, false}, sample(10), default_random());
  CHECK_FALSE(open_chunk(out, derive_file_key(key_of(4), 1, 2), {1, 1, 0, false}, sealed).ok());
}

TEST_CASE("file key derivation is stable across builds") {
  // Pins the subkey layout (id = transfer_id << 32 | file_id, context "ferryfil"), so native and
  // wasm peers, and future versions, agree. Computed independently with Python hashlib.blake2b
  // (salt = id LE, person = context), which is what crypto_kdf does.
  const auto fk = derive_file_key(key_of(0x11), 0x01020304, 0x0a0b0c0d);
  CHECK(to_hex(ByteView(fk.data(), kKeyBytes)) ==
        "95ec20f38ac38bd652336c53520960e4fc8876386204cb83bacd284ee132b871");
}

TEST_CASE("chunk wire format is stable across builds") {
  // Pins nonce placement and the AD layout ("ferry-chunk-v1" || u32 || u32 || u64 || u8, LE).
  // Computed independently in Python (HChaCha20 + ChaCha20-Poly1305 from pyca/cryptography).
  RandomFn counting = [](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = uint8_t(i);
  };
  Bytes sealed;
  seal_chunk(sealed, key_of(7), {0x01020304, 0x0a0b0c0d, 0x1122334455667788, true},
             as_bytes("chunk"), counting);
  CHECK(
      to_hex(sealed) ==
      "000102030405060708090a0b0c0d0e0f1011121314151617cb7fdeeb910ce52b17daa32b967370b11ef18ce585");
}

TEST_CASE("a chunk opened in place yields the plaintext inside its own buffer") {
  const auto fk = derive_file_key(key_of(5), 9, 1);
  const ChunkId id{9, 1, 3, false};
  const Bytes pt = sample(64 * 1024);
  Bytes frame(sealed_chunk_size(pt.size()));
  seal_chunk_to(frame.data(), fk, id, pt, default_random());
  Bytes copy;
  seal_chunk(copy, fk, id, pt, default_random());  // same size, other nonce
  CHECK(copy.size() == frame.size());
  auto plain = open_chunk_in_place(frame, fk, id);
  REQUIRE(plain.ok());
  CHECK(plain->data() == frame.data() + kChunkNonceBytes);
  CHECK(Bytes(plain->begin(), plain->end()) == pt);
}

TEST_CASE("a tampered chunk opened in place fails and yields nothing") {
  const auto fk = derive_file_key(key_of(6), 2, 2);
  const ChunkId id{2, 2, 0, true};
  Bytes sealed;
  seal_chunk(sealed, fk, id, sample(300), default_random());
  for (size_t i : {size_t(0), kChunkNonceBytes, sealed.size() / 2, sealed.size() - 1}) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    auto r = open_chunk_in_place(bad, fk, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_mac");
  }
  Bytes moved = sealed;
  CHECK_FALSE(open_chunk_in_place(moved, fk, ChunkId{2, 2, 1, true}).ok());
  Bytes short_one(kChunkNonceBytes + kChunkTagBytes - 1);
  CHECK_FALSE(open_chunk_in_place(short_one, fk, id).ok());
}
