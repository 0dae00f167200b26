// Tests of the libsodium build itself: its CPU-dispatched primitives (ChaCha20, Poly1305, BLAKE2b)
// must give the same bytes natively (Debian's build, AVX2 paths) and in wasm (Ferry's build, SIMD
// paths compiled through Emscripten's SSE headers). libsodium's own `make check` missed a wasm
// miscompile of ChaCha20's 4-block path (256 bytes and more, see scripts/setup.sh), so this test
// crosses every block-count class and checks all outputs against one digest computed natively.
#include <sodium.h>

#include <catch2/catch.hpp>

#include "crypto/sodium_init.h"
#include "util/bytes.h"

using namespace ferry;

namespace {

// Lengths around each implementation's block boundaries (64, 128, 256, 512 bytes: 1, 4 and 8 ChaCha
// blocks, BLAKE2b's 128-byte block), then the 64 KiB transfer chunk and an odd size past it.
std::vector<size_t> lengths_to_cross() {
  std::vector<size_t> out;
  for (size_t n = 0; n <= 1100; n += 7) out.push_back(n);
  for (size_t n : {63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 4096, 65536, 65536 + 77}) {
    out.push_back(n);
  }
  return out;
}

}  // namespace

TEST_CASE("libsodium's dispatched chacha20, poly1305 and blake2b give the reference bytes at every length") {
  crypto::ensure_sodium_init();
  const auto lengths = lengths_to_cross();
  Bytes message(65536 + 77 + 64);
  for (size_t i = 0; i < message.size(); ++i) message[i] = uint8_t(i * 31 + 7);
  uint8_t key[32];
  uint8_t nonce[24];
  for (size_t i = 0; i < sizeof key; ++i) key[i] = uint8_t(0x80 + i);
  for (size_t i = 0; i < sizeof nonce; ++i) nonce[i] = uint8_t(0x40 + i);

  crypto_generichash_state all;
  crypto_generichash_init(&all, nullptr, 0, 32);
  Bytes out(message.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  auto fold = [&](const uint8_t* p, size_t n) { crypto_generichash_update(&all, p, n); };
  for (size_t n : lengths) {
    crypto_stream_chacha20_ietf_xor(out.data(), message.data(), n, nonce, key);
    fold(out.data(), n);
    // A 64-bit block counter that carries into its high word inside the message.
    crypto_stream_chacha20_xor_ic(out.data(), message.data(), n, nonce, 0xfffffffeULL, key);
    fold(out.data(), n);
    crypto_stream_xchacha20_xor(out.data(), message.data(), n, nonce, key);
    fold(out.data(), n);
    uint8_t tag[crypto_onetimeauth_poly1305_BYTES];
    crypto_onetimeauth_poly1305(tag, message.data(), n, key);
    fold(tag, sizeof tag);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &clen, message.data(), n, message.data(),
                                               n % 40, nullptr, nonce, key);
    fold(out.data(), static_cast<size_t>(clen));
    uint8_t digest[crypto_generichash_BYTES_MAX];
    crypto_generichash(digest, sizeof digest, message.data(), n, key, sizeof key);
    fold(digest, sizeof digest);
    crypto_generichash(digest, 32, message.data(), n, nullptr, 0);
    fold(digest, 32);
  }
  uint8_t result[32];
  crypto_generichash_final(&all, result, sizeof result);
  // Computed with Debian's native libsodium 1.0.18 (x86-64, AVX2 dispatch); the wasm build with
  // only the portable reference code gives the same.
  CHECK(to_hex(ByteView(result, sizeof result)) ==
        "e73bb59bfdf720afd77299ae081895663b1c81a9bef34a767191bbaaf43fa3af");
}
