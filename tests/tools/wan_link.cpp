// One direction of an emulated wide-area link. See wan_link.h.
#include "wan_link.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ferry::tools {

WanLink::WanLink(const WanParams& params, uint64_t seed) : params_(params), rng_(seed) {}

bool WanLink::push(std::vector<uint8_t> frame, int64_t now_ns) {
  ++counters_.frames_in;
  if (params_.loss > 0 && unit_(rng_) < params_.loss) {
    ++counters_.frames_lost;
    return false;
  }
  if (held_.size() >= kMaxFramesHeld) {
    ++counters_.frames_queue_full;
    return false;
  }
  int64_t sent_ns = now_ns;
  if (params_.rate_bits_per_s > 0) {
    const int64_t start_ns = std::max(now_ns, link_free_ns_);
    if (start_ns - now_ns > params_.queue_ns) {
      ++counters_.frames_queue_full;
      return false;
    }
    const double bits = 8.0 * static_cast<double>(frame.size());
    sent_ns = start_ns + static_cast<int64_t>(std::llround(bits * 1e9 / params_.rate_bits_per_s));
    link_free_ns_ = sent_ns;
  }
  int64_t delay_ns = params_.delay_ns;
  if (params_.jitter_ns > 0) {
    const double j = (2.0 * unit_(rng_) - 1.0) * static_cast<double>(params_.jitter_ns);
    delay_ns = std::max<int64_t>(0, delay_ns + static_cast<int64_t>(std::llround(j)));
  }
  const int64_t due_ns = std::max(sent_ns + delay_ns, last_due_ns_);
  last_due_ns_ = due_ns;
  held_.push_back(Held{due_ns, std::move(frame)});
  return true;
}

bool WanLink::pop_due(int64_t now_ns, std::vector<uint8_t>& out) {
  if (held_.empty() || held_.front().due_ns > now_ns) return false;
  out = std::move(held_.front().frame);
  held_.pop_front();
  ++counters_.frames_out;
  counters_.bytes_out += out.size();
  return true;
}

int64_t WanLink::next_due_ns() const { return held_.empty() ? -1 : held_.front().due_ns; }

}  // namespace ferry::tools
