// Tests for the lanes inside app::Session (app/lanes.h): two sessions negotiate extra
// connections through sealed signals in the simulated world (session_world.h), only on a far
// direct path, and a lane lost part-way reconnects the data path without losing data.
#include <catch2/catch.hpp>

#include "session_world.h"

using namespace ferry_test;

namespace {
constexpr double kFarMs = 150;
// What the client hands in from one getStats of A's primary connection.
void measure(World& w, double rtt_ms, const char* path = "host") {
  w.a.session.on_path(path);
  w.a.session.on_round_trip(rtt_ms);
  w.run();
}
}  // namespace

TEST_CASE("a far direct path stripes over four connections, negotiated through sealed signals") {
  World w;
  w.create_and_join_by_link();
  REQUIRE(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.a.session.snapshot().lanes == 1);
  measure(w, kFarMs);
  CHECK(w.a.lanes_open.size() == protocol::kMaxLanes - 1);
  CHECK(w.b.lanes_made.size() == protocol::kMaxLanes - 1);
  CHECK(w.a.session.snapshot().lanes == protocol::kMaxLanes);
  CHECK(w.b.session.snapshot().lanes == protocol::kMaxLanes);
  CHECK(w.a.session.lane_usable(1));
  CHECK(w.b.session.lane_usable(3));
  CHECK(w.a.session.short_queues());
  CHECK(has_log(w.a.session, "150 ms away: opening 3 more connections for the data"));
}

TEST_CASE("a near path, or lanes turned off, keeps one connection") {
  SECTION("near") {
    World w;
    w.create_and_join_by_link();
    measure(w, kStripeMinRttMs / 10);
    CHECK(w.a.lanes_made.empty());
    CHECK_FALSE(w.a.session.short_queues());
    CHECK(w.a.session.snapshot().lanes == 1);
  }
  SECTION("over TURN") {
    World w;
    w.create_and_join_by_link();
    measure(w, kFarMs, "relay");
    CHECK(w.a.lanes_made.empty());
  }
  SECTION("turned off") {
    World w;
    w.a.session = Session([] {
      SessionOptions o{"https://ferry.test", counter_rng(1)};
      o.lanes = 1;
      return o;
    }());
    w.create_and_join_by_link();
    measure(w, kFarMs);
    CHECK(w.a.lanes_made.empty());
  }
}

TEST_CASE("the server's relay is never striped") {
  World w;
  w.join_without_udp();
  w.advance(kDirectTimeoutMs + 1000);
  REQUIRE(w.a.session.transport() == Transport::kServer);
  measure(w, kFarMs);
  CHECK(w.a.lanes_made.empty());
  CHECK(w.a.session.snapshot().lanes == 1);
}

TEST_CASE("a lane lost mid-transfer reconnects the data path and the file still arrives whole") {
  World w;
  w.create_and_join_by_link();
  measure(w, kFarMs);
  REQUIRE(w.b.lanes_open.size() == protocol::kMaxLanes - 1);
  const Bytes file = w.send_from_a("striped.bin", 2 * 1000 * 1000, 41);
  run_until_received(w, file.size() / 2);
  REQUIRE_FALSE(w.b.finished[{w.b.rx, 0}]);
  // B's lane 2 closes (its ICE failed): B closes its primary too; A sees its channel close.
  const int fresh = w.a.fresh_peers;
  w.b.lanes_open.erase(2);
  w.b.session.on_lane_closed(2);
  w.run();
  CHECK(has_log(w.b.session,
                "Reconnecting, so that what was on its way on that connection is sent again"));
  CHECK_FALSE(w.b.peer_created);
  CHECK(w.b.lanes_open.empty());
  w.a.channel_open = w.b.channel_open = false;
  w.a.session.on_channel_closed();
  w.advance(kMinAttemptGapMs + 500);  // A builds a new connection
  w.run();
  CHECK(w.a.fresh_peers == fresh + 1);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  CHECK(w.a.session.snapshot().lanes == 1);  // until the new primary's round trip is measured
}

TEST_CASE("lanes that never open are given up and the primary carries on alone") {
  World w;
  w.lanes_ok = false;
  w.create_and_join_by_link();
  measure(w, kFarMs);
  CHECK(w.a.session.short_queues());
  w.advance(kLaneOpenTimeoutMs + 500);
  CHECK_FALSE(w.a.session.short_queues());
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  const Bytes file = w.send_from_a("alone.bin", 300 * 1000, 42);
  w.run();
  CHECK(w.b.finished[{w.b.rx, 0}]);
}
