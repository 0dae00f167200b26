// The in-memory receiving budget: per file and in total, refused before any allocation.
#include "transfer/memory_budget.h"

#include <catch2/catch.hpp>
#include <cstdint>

using namespace ferry::transfer;

namespace {
constexpr uint64_t kMiB = 1024 * 1024;
}

TEST_CASE("files under both caps are received into memory") {
  CHECK_FALSE(refuse_in_memory(0, 0));
  CHECK_FALSE(refuse_in_memory(0, kMaxInMemoryFileBytes));
  CHECK_FALSE(refuse_in_memory(kMaxInMemoryTotalBytes - 10 * kMiB, 10 * kMiB));
}

TEST_CASE("one file above the per-file cap is refused") {
  const auto e = refuse_in_memory(0, kMaxInMemoryFileBytes + 1);
  REQUIRE(e);
  CHECK(e->code == "quota");
  CHECK(e->message.find("256 MiB") != std::string::npos);
}

TEST_CASE("many files each under the per-file cap are refused once they exceed the total") {
  uint64_t held = 0;
  int accepted = 0;
  for (int i = 0; i < 10; ++i) {
    const uint64_t size = 200 * kMiB;  // under the 256 MiB per-file cap
    if (refuse_in_memory(held, size)) break;
    held += size;
    ++accepted;
  }
  CHECK(accepted == 2);  // 400 MiB held; a third would make 600 MiB > 512 MiB
  const auto e = refuse_in_memory(held, 200 * kMiB);
  REQUIRE(e);
  CHECK(e->code == "quota");
  CHECK(e->message.find("512 MiB together") != std::string::npos);
}

TEST_CASE("sizes near the top of uint64 cannot wrap the total") {
  CHECK(refuse_in_memory(kMaxInMemoryTotalBytes, 1));
  CHECK(refuse_in_memory(UINT64_MAX, 1));
  CHECK(refuse_in_memory(1, UINT64_MAX));
}
