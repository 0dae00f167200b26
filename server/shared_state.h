// The state every connection shares: the room registry, per-IP limits, open connections and
// metrics, behind one mutex. It is plain C++ (no Beast): a connection is a Peer that can be sent
// a text message or closed, so the whole signalling logic is unit-tested and fuzzed without
// sockets. Decisions are collected under the mutex and carried out after it is released, so a
// slow peer never holds the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "close_codes.h"
#include "config.h"
#include "metrics.h"
#include "protocol/signal.h"
#include "room_registry.h"
#include "token_bucket.h"

namespace ferry::server {

// One WebSocket connection, as the shared state sees it.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  virtual void close(CloseCode code) = 0;
};

struct Clocks {
  std::function<int64_t()> now_ms;    // monotonic milliseconds
  std::function<int64_t()> unix_ms;   // wall clock, for the expiry times peers are told
};
Clocks system_clocks();

class SharedState {
 public:
  SharedState(Config config, Clocks clocks, RandomFn rng);

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }

  // Admission of a new WebSocket connection from ip. On success returns its id; the caller must
  // call detach(id) when it ends. On refusal returns the close code (the caller closes).
  Result<PeerId> attach(std::weak_ptr<Peer> peer, const std::string& ip, CloseCode* refusal);
  void detach(PeerId id);

  // One message from a connection.
  void on_text(PeerId id, std::string_view text);
  void on_binary(PeerId id);

  // Expires rooms; call a few times a second.
  void sweep();
  // Closes every connection with kShutdown.
  void shutdown();

  std::string metrics_text();
  size_t connection_count();

 private:
  struct Conn {
    std::weak_ptr<Peer> peer;
    std::string ip;
    TokenBucket messages;
    int bad = 0;
  };
  // Work collected under the mutex, done after it.
  struct Outbox {
    std::vector<std::pair<std::weak_ptr<Peer>, std::shared_ptr<const std::string>>> sends;
    std::vector<std::pair<std::weak_ptr<Peer>, CloseCode>> closes;
  };

  void send(Outbox& out, PeerId to, const protocol::ServerMessage& m);
  void error(Outbox& out, PeerId to, const Error& e);
  void close(Outbox& out, PeerId to, CloseCode code);
  void dispatch(Outbox& out, PeerId id, Conn& conn, const protocol::ClientMessage& m);
  void joined(Outbox& out, PeerId id, const JoinResult& r, std::string_view how);
  int64_t to_unix_s(int64_t mono_ms) const;
  static void flush(Outbox& out);

  Config config_;
  Clocks clocks_;
  RandomFn rng_;
  Metrics metrics_;
  std::mutex mutex_;
  RoomRegistry rooms_;
  KeyedBuckets joins_;
  std::unordered_map<std::string, size_t> conns_per_ip_;
  std::unordered_map<PeerId, Conn> conns_;
  PeerId next_id_ = 1;
  bool stopping_ = false;
};

}  // namespace ferry::server
