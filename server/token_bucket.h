// Token buckets for rate limits: one per connection (messages), one per IP address (creates and
// joins), and byte budgets for the data relay (one per room, one for the whole server). Time is
// handed in, in milliseconds of a monotonic clock, so tests drive it without sleeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace ferry::server {

class TokenBucket {
 public:
  // capacity: the burst; per_second: the sustained rate.
  TokenBucket(double capacity, double per_second, int64_t now_ms)
      : capacity_(capacity), per_ms_(per_second / 1000.0), tokens_(capacity), last_ms_(now_ms) {}

  // Takes one token if there is one.
  bool take(int64_t now_ms);
  // Takes n tokens even when fewer are left, so the bucket may go into debt, and returns the
  // milliseconds until it is out of debt (0 when it is not in debt). For byte budgets: a message
  // already read is passed on, and its sender is slowed down instead of refused.
  int64_t borrow(double n, int64_t now_ms);
  bool full(int64_t now_ms) const;

 private:
  void refill(int64_t now_ms);
  double capacity_;
  double per_ms_;
  double tokens_;
  int64_t last_ms_;
};

// One bucket per key (an IP address). Full buckets are dropped by prune(), so memory follows
// the number of recently active addresses, not every address ever seen.
class KeyedBuckets {
 public:
  KeyedBuckets(double capacity, double per_second) : capacity_(capacity), per_second_(per_second) {}
  bool take(const std::string& key, int64_t now_ms);
  int64_t borrow(const std::string& key, double n, int64_t now_ms);
  void prune(int64_t now_ms);
  size_t size() const { return buckets_.size(); }

 private:
  double capacity_;
  double per_second_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace ferry::server
