// Counters for Prometheus /metrics. Thread-safe: atomics, and a mutex only for the
// refusal-by-reason map, which changes rarely. The counters stay plain atomics (one add on the
// relay's hot path, and the call sites elsewhere unchanged); render() hands their values to
// prometheus-cpp, which writes the text format.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ferry::server {

class Metrics {
 public:
  std::atomic<uint64_t> messages_relayed{0};
  std::atomic<uint64_t> bytes_relayed{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> pake_confirmed{0};  // joiners the creator reported as confirmed
  // The data relay (binary frames).
  std::atomic<uint64_t> relay_frames{0};
  std::atomic<uint64_t> relay_bytes{0};
  std::atomic<uint64_t> relay_dropped{0};          // the other peer was away
  std::atomic<uint64_t> relay_pauses_rate{0};      // a sender waited for its room's (or the server's) budget
  std::atomic<uint64_t> relay_pauses_receiver{0};  // a sender waited for a slow receiver
  // Text relays (signalling), and the server-wide queue cap.
  std::atomic<uint64_t> relay_pauses_text_rate{0};      // a sender waited for its room's text budget
  std::atomic<uint64_t> relay_pauses_text_receiver{0};  // a sender waited for a receiver's text queue
  std::atomic<uint64_t> relay_pauses_global{0};         // a sender waited for the server's queues to drain

  void refuse(const std::string& reason);
  uint64_t refusals(const std::string& reason) const;
  // The /metrics page (prometheus-cpp's text format). rooms, peers and connections are gauges
  // read from the registry at render time; redis_up only with --redis (ferry_redis_up).
  std::string render(size_t rooms, size_t peers, size_t connections, int64_t queued_bytes,
                     std::optional<bool> redis_up = std::nullopt) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> refusals_;
};

}  // namespace ferry::server
