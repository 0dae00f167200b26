// Token bucket arithmetic (see token_bucket.h).
#include "token_bucket.h"

#include <algorithm>
#include <cmath>

namespace ferry::server {

void TokenBucket::refill(int64_t now_ms) {
  if (now_ms > last_ms_) {
    tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
    last_ms_ = now_ms;
  }
}

bool TokenBucket::take(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

int64_t TokenBucket::borrow(double n, int64_t now_ms) {
  refill(now_ms);
  tokens_ -= n;
  if (tokens_ >= 0) return 0;
  return static_cast<int64_t>(std::ceil(-tokens_ / per_ms_));
}

bool TokenBucket::full(int64_t now_ms) const {
  double elapsed = now_ms > last_ms_ ? static_cast<double>(now_ms - last_ms_) : 0.0;
  return tokens_ + elapsed * per_ms_ >= capacity_;
}

bool KeyedBuckets::take(const std::string& key, int64_t now_ms) {
  auto it = buckets_.try_emplace(key, capacity_, per_second_, now_ms).first;
  return it->second.take(now_ms);
}

int64_t KeyedBuckets::borrow(const std::string& key, double n, int64_t now_ms) {
  auto it = buckets_.try_emplace(key, capacity_, per_second_, now_ms).first;
  return it->second.borrow(n, now_ms);
}

void KeyedBuckets::prune(int64_t now_ms) {
  std::erase_if(buckets_, [now_ms](auto& kv) { return kv.second.full(now_ms); });
}

}  // namespace ferry::server
