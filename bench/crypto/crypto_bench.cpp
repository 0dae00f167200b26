// Micro-benchmark of the data plane's crypto through Ferry's own wrappers: seal_chunk and
// open_chunk (XChaCha20-Poly1305-IETF) on 64 KiB chunks, and streaming BLAKE2b-256 over 64 KiB
// blocks, in MB/s (10^6 bytes per second). Built natively and for wasm (run with node); see
// bench/README.md, section "Crypto".
//
//   crypto_bench [seconds_per_primitive]
//
// Two rates per primitive: bytes per wall-clock second, and bytes per second of this process's CPU
// time. On a shared machine the second is the one to compare (other processes steal wall time, not
// our CPU time); under node it includes the engine's compiler and GC threads.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/blake2b.h"
#include "crypto/chunk_aead.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// The process's user + system CPU seconds, from node.
EM_JS(double, node_cpu_seconds, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
});
#endif

namespace {

using ferry::Bytes;
using ferry::ByteView;
using Clock = std::chrono::steady_clock;

// The size the transfer engine seals and hashes at a time.
constexpr size_t kChunkBytes = 64 * 1024;
// Long enough that the JIT tiers up and timer resolution does not matter; short enough for a
// shared 2-core machine.
constexpr double kDefaultSecondsPerPrimitive = 2.0;
// Calls between clock reads: a clock read costs far less than one 64 KiB call anyway.
constexpr int kCallsPerCheck = 16;

struct Rate {
  double mb_per_s = 0;      // per wall-clock second
  double mb_per_cpu_s = 0;  // per CPU second of this process
  long calls = 0;
};

double cpu_seconds() {
#ifdef __EMSCRIPTEN__
  return node_cpu_seconds();
#else
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
#endif
}

// Runs `step` until `seconds` have passed (after one untimed warm-up round) and returns the rate.
template <typename Step>
Rate measure(double seconds, Step step) {
  for (int i = 0; i < kCallsPerCheck; ++i) step();
  Rate r;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < kCallsPerCheck; ++i) step();
    r.calls += kCallsPerCheck;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  const double bytes = static_cast<double>(r.calls) * kChunkBytes;
  r.mb_per_s = bytes / elapsed / 1e6;
  r.mb_per_cpu_s = bytes / (cpu_seconds() - cpu_start) / 1e6;
  return r;
}

void counting_random(uint8_t* out, size_t len) {
  static uint8_t next = 0;
  for (size_t i = 0; i < len; ++i) out[i] = next++;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : kDefaultSecondsPerPrimitive;
  if (!(seconds > 0)) {
    std::fprintf(stderr, "usage: crypto_bench [seconds_per_primitive > 0]\n");
    return 2;
  }

  Bytes plain(kChunkBytes);
  counting_random(plain.data(), plain.size());
  Bytes key_bytes(ferry::crypto::kKeyBytes, 0x42);
  const ferry::crypto::SecretKey key(key_bytes.data());
  const ferry::crypto::ChunkId id{7, 1, 0, false};
  const ferry::RandomFn rng = counting_random;

  Bytes sealed;
  Bytes opened;
  ferry::crypto::seal_chunk(sealed, key, id, plain, rng);
  // A self-check, so a broken build cannot report a fast number.
  if (!ferry::crypto::open_chunk(opened, key, id, sealed) || opened != plain) {
    std::fprintf(stderr, "crypto_bench: open(seal(x)) != x\n");
    return 1;
  }

  const Rate seal = measure(seconds, [&] { ferry::crypto::seal_chunk(sealed, key, id, plain, rng); });
  const Rate open = measure(seconds, [&] {
    if (!ferry::crypto::open_chunk(opened, key, id, sealed)) std::abort();
  });
  ferry::crypto::Blake2b hash;
  const Rate blake = measure(seconds, [&] { hash.update(plain); });
  (void)hash.final();

  std::printf("%-26s %8s %10s %8s\n", "primitive (64 KiB)", "MB/s", "MB/cpu-s", "calls");
  auto row = [](const char* name, const Rate& r) {
    std::printf("%-26s %8.0f %10.0f %8ld\n", name, r.mb_per_s, r.mb_per_cpu_s, r.calls);
  };
  row("seal xchacha20poly1305", seal);
  row("open xchacha20poly1305", open);
  row("blake2b-256 update", blake);
  // Fixed inputs, so builds can be compared: these must not change from one build to another.
  std::printf("blake2b-256(chunk) %s\n", ferry::to_hex(ferry::crypto::blake2b_256(plain)).c_str());
  Bytes fixed;
  ferry::crypto::seal_chunk(fixed, key, id, plain, [](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = 0x24;
  });
  std::printf("sealed(chunk) tail %s\n",
              ferry::to_hex(ByteView(fixed).subspan(fixed.size() - 32)).c_str());
  return 0;
}
