// Integration-test helpers that speak ferry.v1 (and use Catch2): envelopes as text, the next
// message of a type, and ready-made rooms. Kept apart from harness.h, which knows no protocol.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "harness.h"
#include "protocol/signal.h"

namespace ferry::itest {

inline std::string msg(const protocol::ClientMessage& m) {
  return protocol::serialize(m);
}

// Reads until a message of this type arrives and checks it is a valid server envelope.
inline protocol::ServerMessage must_get(WsClient& c, const std::string& type,
                                        std::chrono::milliseconds timeout = kEventTimeout) {
  auto ev = c.expect(type, timeout);
  INFO("waiting for " << type << ", got kind " << static_cast<int>(ev.kind) << " text " << ev.text);
  REQUIRE(ev.kind == WsClient::Event::Kind::kMessage);
  auto m = protocol::parse_server_message(ev.text);
  REQUIRE(m.ok());
  return *m;
}

// Two peers joined in one room by the link (a created it); the joiner is not confirmed.
struct Room {
  explicit Room(uint16_t port, const WsClient::Headers& headers = {}) : Room(port, port, headers) {}
  // The creator on a_port, the joiner on b_port (two instances sharing rooms, --redis).
  Room(uint16_t a_port, uint16_t b_port, const WsClient::Headers& headers = {})
      : a(a_port, headers), b(b_port, headers) {
    REQUIRE(a.send_text(msg(protocol::Create{})));
    created = std::get<protocol::Created>(must_get(a, "created"));
    REQUIRE(b.send_text(msg(protocol::JoinByToken{created.room, created.token})));
    joined = std::get<protocol::Joined>(must_get(b, "joined"));
    must_get(a, "peer_joined");
  }
  WsClient a, b;
  protocol::Created created;
  protocol::Joined joined;
};

// A room whose joiner is confirmed (it outlives the confirm timeout): the neighbour that must
// not be affected by another room's refusal.
struct Neighbours : Room {
  explicit Neighbours(uint16_t port, const WsClient::Headers& headers = {}) : Room(port, headers) {
    REQUIRE(a.send_text(msg(protocol::PakeConfirmed{})));
  }
  // The relay still works both ways, each within the time limit.
  bool still_working(std::chrono::milliseconds limit = kEventTimeout) {
    if (!a.send_text(msg(protocol::Relay{"c3RpbGwtaGVyZQ"}))) return false;
    auto ev = b.expect("relay", limit);
    if (ev.kind != WsClient::Event::Kind::kMessage || ev.json()["payload"] != "c3RpbGwtaGVyZQ")
      return false;
    if (!b.send_text(msg(protocol::Relay{"YmFjaw"}))) return false;
    return a.expect("relay", limit).json()["payload"] == "YmFjaw";
  }
};

// Sends frame(0) .. frame(count - 1) as binary messages from a thread of its own, each within 60 s.
class BackgroundSender {
 public:
  BackgroundSender(WsClient& c, int count, std::function<std::string(int)> frame)
      : count_(count), thread_([this, &c, frame = std::move(frame)] {
          for (int i = 0; i < count_ && !failed_; ++i) {
            if (c.send_binary(frame(i), std::chrono::milliseconds(60'000))) {
              ++written_;
            } else {
              failed_ = true;
            }
          }
        }) {}
  ~BackgroundSender() { join(); }
  // Whether, within limit, its writes stop completing for `still` before all are written (a
  // receiver that does not read holds it back).
  bool blocked(std::chrono::milliseconds still = std::chrono::milliseconds(1000),
               std::chrono::milliseconds limit = std::chrono::milliseconds(20'000)) {
    int last = -1;
    auto stable_since = std::chrono::steady_clock::now();
    return eventually(
        [&] {
          int now = written_.load();
          if (now != last) {
            last = now;
            stable_since = std::chrono::steady_clock::now();
          }
          return now < count_ && std::chrono::steady_clock::now() - stable_since > still;
        },
        limit);
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  int written() const { return written_.load(); }
  bool failed() const { return failed_.load(); }

 private:
  int count_;
  std::atomic<int> written_{0};
  std::atomic<bool> failed_{false};
  std::thread thread_;  // last: it starts once the counters exist
};

}  // namespace ferry::itest
