// One direction of an emulated wide-area link, for tests: fixed delay, jitter, random loss and
// a rate cap with a bounded queue. Plain logic with the time handed in (nanoseconds on any
// monotonic clock), so it is unit-tested without devices; tests/tools/wanem.cpp moves Ethernet
// frames between two TAP devices through two of these.
//
// Model (what `tc netem` + `tbf` would do, simplified):
// - loss: each frame is dropped on arrival with probability `loss`, independently (Bernoulli),
//   from a seeded generator, so a run is repeatable for the same frames;
// - rate: frames leave the sender's queue one after another at `rate_bits_per_s`; a frame that
//   would wait longer than `queue_ns` behind the others is dropped (drop-tail, like a router);
// - delay: every frame that left the queue arrives `delay_ns` later, plus a jitter drawn
//   uniformly from [-jitter_ns, +jitter_ns] (never below zero). Frames are never reordered:
//   a frame is not released before the one ahead of it (as netem does with a rate set).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace ferry::tools {

struct WanParams {
  int64_t delay_ns = 0;
  int64_t jitter_ns = 0;
  double loss = 0;             // 0..1
  double rate_bits_per_s = 0;  // 0: no cap
  int64_t queue_ns = 0;        // with a rate: the longest a frame may wait to be sent
};

struct WanCounters {
  uint64_t frames_in = 0;
  uint64_t frames_lost = 0;         // dropped by the random loss
  uint64_t frames_queue_full = 0;   // dropped because the rate queue was full
  uint64_t frames_out = 0;
  uint64_t bytes_out = 0;
};

class WanLink {
 public:
  // Frames held at once, whatever the parameters: a bound on memory (at 1514 bytes a frame,
  // about 150 MB) that a test can't reach by accident (100 Mbit/s for 150 ms is 1,240 frames).
  static constexpr size_t kMaxFramesHeld = 100'000;

  WanLink(const WanParams& params, uint64_t seed);

  // New parameters for the frames that arrive from now on (frames held keep their times).
  void set_params(const WanParams& params) { params_ = params; }
  const WanParams& params() const { return params_; }
  // A frame arrived at `now_ns`. Returns false when it was dropped (loss or full queue).
  bool push(std::vector<uint8_t> frame, int64_t now_ns);
  // The next frame due by `now_ns`, moved into `out`; false when none is due yet.
  bool pop_due(int64_t now_ns, std::vector<uint8_t>& out);
  // When the next frame is due, or -1 when none is held.
  int64_t next_due_ns() const;
  size_t held() const { return held_.size(); }
  const WanCounters& counters() const { return counters_; }

 private:
  struct Held {
    int64_t due_ns;
    std::vector<uint8_t> frame;
  };
  WanParams params_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  int64_t link_free_ns_ = 0;  // when the rate-capped sender finishes the frames queued so far
  int64_t last_due_ns_ = 0;   // no frame is released before the one ahead of it
  std::deque<Held> held_;
  WanCounters counters_;
};

}  // namespace ferry::tools
