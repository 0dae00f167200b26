// The emulated link's model, with the time handed in (wan_link.h).
#include "wan_link.h"

#include <catch2/catch.hpp>
#include <vector>

using ferry::tools::WanLink;
using ferry::tools::WanParams;

namespace {
constexpr int64_t kMs = 1'000'000;
std::vector<uint8_t> frame_of(size_t n, uint8_t tag = 0) { return std::vector<uint8_t>(n, tag); }
}  // namespace

TEST_CASE("a frame is held for the delay and not a nanosecond less") {
  WanParams p;
  p.delay_ns = 75 * kMs;
  WanLink link(p, 1);
  REQUIRE(link.push(frame_of(100), 1000));
  std::vector<uint8_t> out;
  CHECK_FALSE(link.pop_due(1000 + 75 * kMs - 1, out));
  REQUIRE(link.pop_due(1000 + 75 * kMs, out));
  CHECK(out.size() == 100);
  CHECK(link.next_due_ns() == -1);
}

TEST_CASE("the loss rate applied is the one asked for, and the same seed loses the same frames") {
  WanParams p;
  p.loss = 0.01;
  WanLink a(p, 7);
  WanLink b(p, 7);
  std::vector<bool> kept_a;
  std::vector<bool> kept_b;
  constexpr int kFrames = 100'000;
  for (int i = 0; i < kFrames; ++i) {
    kept_a.push_back(a.push(frame_of(1), i));
    kept_b.push_back(b.push(frame_of(1), i));
    std::vector<uint8_t> out;
    while (a.pop_due(i, out)) {}
    while (b.pop_due(i, out)) {}
  }
  CHECK(kept_a == kept_b);
  // 1,000 expected; 5 standard deviations is about 160.
  CHECK(a.counters().frames_lost > 840);
  CHECK(a.counters().frames_lost < 1160);
}

TEST_CASE("a rate cap spaces frames by their size and drops what waits too long") {
  WanParams p;
  p.rate_bits_per_s = 8e6;  // 1 byte per microsecond
  p.queue_ns = 5 * kMs;
  WanLink link(p, 1);
  // 1000-byte frames take 1 ms each; all arrive at once: 5 ms of queue holds 6 (the first
  // starts at once), the rest are dropped.
  int kept = 0;
  for (int i = 0; i < 10; ++i) kept += link.push(frame_of(1000), 0) ? 1 : 0;
  CHECK(kept == 6);
  CHECK(link.counters().frames_queue_full == 4);
  std::vector<uint8_t> out;
  CHECK_FALSE(link.pop_due(1 * kMs - 1, out));
  REQUIRE(link.pop_due(1 * kMs, out));
  REQUIRE(link.pop_due(2 * kMs, out));
  CHECK_FALSE(link.pop_due(3 * kMs - 1, out));
}

TEST_CASE("jitter never reorders frames") {
  WanParams p;
  p.delay_ns = 10 * kMs;
  p.jitter_ns = 9 * kMs;
  WanLink link(p, 3);
  for (int i = 0; i < 1000; ++i) REQUIRE(link.push(frame_of(1, static_cast<uint8_t>(i)), i * 100'000));
  std::vector<uint8_t> out;
  int expected = 0;
  int64_t last_due = 0;
  while (link.held() > 0) {
    const int64_t due = link.next_due_ns();
    CHECK(due >= last_due);
    CHECK(due >= 1 * kMs);  // delay - jitter at least
    last_due = due;
    REQUIRE(link.pop_due(due, out));
    CHECK(out[0] == static_cast<uint8_t>(expected++));
  }
  CHECK(expected == 1000);
}

TEST_CASE("the frames held are bounded whatever the parameters") {
  WanParams p;
  p.delay_ns = 3600 * 1000 * kMs;
  WanLink link(p, 1);
  for (size_t i = 0; i < WanLink::kMaxFramesHeld + 10; ++i) link.push(frame_of(1), 0);
  CHECK(link.held() == WanLink::kMaxFramesHeld);
  CHECK(link.counters().frames_queue_full == 10);
}
