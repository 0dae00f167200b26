// Tests for app::Lanes: when A stripes, how B follows, what a lane's loss does, and which lane a
// CHUNK goes on; driven by hand through a recording Host (two Lanes machines wired together
// where the negotiation matters).
#include "app/lanes.h"

#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

using namespace ferry;
using namespace ferry::app;

namespace {

constexpr const char* kOfferJson = R"({"type":"offer","sdp":"v=0 offer"})";
constexpr const char* kAnswerJson = R"({"type":"answer","sdp":"v=0 answer"})";
constexpr const char* kCandidateJson =
    R"({"candidate":"candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host","sdpMid":"0","sdpMLineIndex":0})";

struct FakeHost : Lanes::Host {
  std::vector<Command> commands;
  std::vector<protocol::PeerSignal> signals;
  std::vector<std::string> logs;
  int lost = 0;

  void emit(Command c) override { commands.push_back(std::move(c)); }
  void send_signal(const protocol::PeerSignal& m) override { signals.push_back(m); }
  void log(std::string text) override { logs.push_back(std::move(text)); }
  void on_lane_lost() override { ++lost; }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& c : commands) {
      if (const auto* m = std::get_if<T>(&c)) out.push_back(*m);
    }
    return out;
  }
  template <class T>
  std::vector<T> signals_of() const {
    std::vector<T> out;
    for (const auto& s : signals) {
      if (const auto* m = std::get_if<T>(&s)) out.push_back(*m);
    }
    return out;
  }
};

constexpr uint64_t kGen = 7;

// A with its primary open on a direct path, measured far away: lanes 1..3 offered.
Lanes striping_a(FakeHost& host, double rtt_ms = 150) {
  Lanes a(/*creator=*/true);
  a.on_primary_open(kGen);
  a.on_round_trip(rtt_ms, /*direct_path=*/true, 0, host);
  return a;
}

}  // namespace

TEST_CASE("A stripes over three more connections when the direct path is far") {
  FakeHost host;
  Lanes a = striping_a(host);
  CHECK(a.state() == Lanes::State::kStriping);
  const auto peers = host.all<cmd::CreatePeer>();
  REQUIRE(peers.size() == protocol::kMaxLanes - 1);
  for (uint32_t i = 0; i < peers.size(); ++i) {
    CHECK(peers[i].lane == i + 1);
    CHECK(peers[i].offerer);
  }
  CHECK(host.all<cmd::CreateOffer>().size() == protocol::kMaxLanes - 1);
  // Nothing carries chunks until a lane's channel opens.
  CHECK(a.carrying() == 1);
  CHECK_FALSE(a.usable(1));
  a.on_local_description(2, kOfferJson, host);
  const auto offers = host.signals_of<protocol::peer::LaneOffer>();
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].lane == 2);
  CHECK(offers[0].gen == kGen);
}

TEST_CASE("A keeps one connection on a near path or when lanes are off, and waits while ICE uses TURN") {
  SECTION("near") {
    FakeHost host;
    Lanes a = striping_a(host, kStripeMinRttMs - 1);
    CHECK(a.state() == Lanes::State::kSingle);
    CHECK(host.commands.empty());
  }
  SECTION("TURN") {
    FakeHost host;
    Lanes a(/*creator=*/true);
    a.on_primary_open(kGen);
    a.on_round_trip(150, /*direct_path=*/false, 0, host);
    CHECK(a.state() == Lanes::State::kMeasuring);
    CHECK(host.commands.empty());
  }
  SECTION("ICE moves from a TURN pair to a far direct pair: the lanes open then") {
    FakeHost host;
    Lanes a(/*creator=*/true);
    a.on_primary_open(kGen);
    a.on_round_trip(150, /*direct_path=*/false, 0, host);
    a.on_round_trip(150, /*direct_path=*/false, 5000, host);
    CHECK(host.commands.empty());
    a.on_round_trip(150, /*direct_path=*/true, 10000, host);
    CHECK(a.state() == Lanes::State::kStriping);
    CHECK(host.all<cmd::CreateOffer>().size() == protocol::kMaxLanes - 1);
  }
  SECTION("lanes off") {
    FakeHost host;
    Lanes a(/*creator=*/true, /*wanted=*/1);
    a.on_primary_open(kGen);
    a.on_round_trip(150, true, 0, host);
    CHECK(a.state() == Lanes::State::kSingle);
    CHECK(host.commands.empty());
  }
  SECTION("the decision is made once per primary connection") {
    FakeHost host;
    Lanes a = striping_a(host, 5);
    a.on_round_trip(150, true, 0, host);
    CHECK(a.state() == Lanes::State::kSingle);
    CHECK(host.commands.empty());
  }
  SECTION("an unknown round trip decides nothing yet") {
    FakeHost host;
    Lanes a(/*creator=*/true);
    a.on_primary_open(kGen);
    a.on_round_trip(-1, true, 0, host);
    CHECK(a.state() == Lanes::State::kMeasuring);
  }
}

TEST_CASE("B follows A's lane offers and the lanes open on both sides") {
  FakeHost ha, hb;
  Lanes a = striping_a(ha);
  Lanes b(/*creator=*/false);
  for (uint32_t lane = 1; lane < protocol::kMaxLanes; ++lane)
    a.on_local_description(lane, kOfferJson, ha);
  for (const auto& s : ha.signals) b.on_signal(s, kGen, /*may_follow=*/true, 0, hb);
  CHECK(b.state() == Lanes::State::kStriping);
  const auto b_peers = hb.all<cmd::CreatePeer>();
  REQUIRE(b_peers.size() == protocol::kMaxLanes - 1);
  CHECK_FALSE(b_peers[0].offerer);
  REQUIRE(hb.all<cmd::SetRemoteDescription>().size() == protocol::kMaxLanes - 1);
  CHECK(hb.all<cmd::SetRemoteDescription>()[0].json.find("offer") != std::string::npos);
  b.on_local_description(1, kAnswerJson, hb);
  b.on_local_candidate(1, kCandidateJson, hb);
  b.on_local_candidate(1, "", hb);
  for (const auto& s : hb.signals) a.on_signal(s, kGen, true, 0, ha);
  const auto remote = ha.all<cmd::SetRemoteDescription>();
  REQUIRE(remote.size() == 1);
  CHECK(remote[0].lane == 1);
  const auto ice = ha.all<cmd::AddIceCandidate>();
  REQUIRE(ice.size() == 2);
  CHECK(ice[0].lane == 1);
  CHECK(ice[1].json.empty());  // the end of candidates
  a.on_channel_open(1, ha);
  b.on_channel_open(1, hb);
  CHECK(a.usable(1));
  CHECK(b.usable(1));
  CHECK_FALSE(a.usable(2));
  CHECK(a.carrying() == 2);
}

TEST_CASE(
    "B refuses lanes of another attempt, on the relay, offered twice, or offered by B's peer as "
    "B") {
  FakeHost ha;
  Lanes a = striping_a(ha);
  a.on_local_description(1, kOfferJson, ha);
  const protocol::PeerSignal offer = ha.signals.at(0);
  SECTION("another attempt") {
    FakeHost hb;
    Lanes b(false);
    b.on_signal(offer, kGen + 1, true, 0, hb);
    CHECK(hb.commands.empty());
  }
  SECTION("on the relay") {
    FakeHost hb;
    Lanes b(false);
    b.on_signal(offer, kGen, /*may_follow=*/false, 0, hb);
    CHECK(hb.commands.empty());
  }
  SECTION("offered twice") {
    FakeHost hb;
    Lanes b(false);
    b.on_signal(offer, kGen, true, 0, hb);
    b.on_signal(offer, kGen, true, 0, hb);
    CHECK(hb.all<cmd::CreatePeer>().size() == 1);
  }
  SECTION("A does not follow offers") {
    FakeHost h2;
    Lanes a2(true);
    a2.on_primary_open(kGen);
    a2.on_signal(offer, kGen, true, 0, h2);
    CHECK(h2.commands.empty());
  }
  SECTION("a new attempt's offer closes the lanes of the earlier one") {
    FakeHost hb;
    Lanes b(false);
    b.on_signal(offer, kGen, true, 0, hb);
    auto next = std::get<protocol::peer::LaneOffer>(offer);
    next.gen = kGen + 1;
    b.on_signal(protocol::PeerSignal{next}, kGen + 1, true, 0, hb);
    const auto closes = hb.all<cmd::ClosePeer>();
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].lane == 1);
    CHECK(hb.all<cmd::CreatePeer>().size() == 2);
  }
}

TEST_CASE("a lane that does not open in time is given up without a reconnect") {
  FakeHost host;
  Lanes a = striping_a(host);
  a.on_channel_open(1, host);
  a.tick(kLaneOpenTimeoutMs - 1, host);
  CHECK(host.all<cmd::ClosePeer>().empty());
  a.tick(kLaneOpenTimeoutMs, host);
  const auto closes = host.all<cmd::ClosePeer>();
  REQUIRE(closes.size() == 2);  // lanes 2 and 3; lane 1 is open
  CHECK(closes[0].lane == 2);
  CHECK(closes[1].lane == 3);
  CHECK(host.lost == 0);
  CHECK(a.usable(1));
  CHECK(a.carrying() == 2);
  // A failed ICE on a lane still connecting is no loss either.
  FakeHost h2;
  Lanes a2 = striping_a(h2);
  a2.on_peer_state(2, "failed", h2);
  CHECK(h2.lost == 0);
  CHECK(a2.lane(2) == Lanes::LaneState::kClosed);
}

TEST_CASE("an open lane that closes tells the host: chunks in flight on it are lost") {
  FakeHost host;
  Lanes a = striping_a(host);
  a.on_channel_open(2, host);
  a.on_channel_closed(2, host);
  CHECK(host.lost == 1);
  CHECK_FALSE(a.usable(2));
  // Once closed it is not used again, nor does a late event count twice.
  a.on_channel_closed(2, host);
  a.on_peer_state(2, "failed", host);
  CHECK(host.lost == 1);
  a.on_channel_open(2, host);
  CHECK_FALSE(a.usable(2));
  // ICE "disconnected" may recover: nothing happens.
  a.on_channel_open(3, host);
  a.on_peer_state(3, "disconnected", host);
  CHECK(a.usable(3));
  a.on_peer_state(3, "failed", host);
  CHECK(host.lost == 2);
}

TEST_CASE("reset closes every lane and striping starts again only after the primary reopens") {
  FakeHost host;
  Lanes a = striping_a(host);
  a.on_channel_open(1, host);
  host.commands.clear();
  a.reset(host);
  CHECK(host.all<cmd::ClosePeer>().size() == protocol::kMaxLanes - 1);
  CHECK(host.lost == 0);  // the data path is going anyway
  CHECK(a.state() == Lanes::State::kOff);
  CHECK_FALSE(a.usable(1));
  // Late events of the closed lanes change nothing.
  a.on_channel_open(1, host);
  a.on_local_description(1, kOfferJson, host);
  CHECK_FALSE(a.usable(1));
  CHECK(host.signals.empty());
  a.on_round_trip(150, true, 0, host);  // no primary yet
  CHECK(a.state() == Lanes::State::kOff);
  a.on_primary_open(kGen + 1);
  a.on_round_trip(150, true, 0, host);
  CHECK(a.state() == Lanes::State::kStriping);
}

TEST_CASE("answers and candidates of another attempt or an unknown lane are ignored") {
  FakeHost host;
  Lanes a = striping_a(host);
  host.commands.clear();
  a.on_signal(protocol::PeerSignal{protocol::peer::LaneAnswer{1, "v=0", kGen + 1}}, kGen, true, 0,
              host);
  a.on_signal(protocol::PeerSignal{protocol::peer::LaneIce{1, std::nullopt, kGen - 1}}, kGen, true,
              0, host);
  CHECK(host.commands.empty());
  a.on_signal(protocol::PeerSignal{protocol::peer::LaneAnswer{1, "v=0", kGen}}, kGen, true, 0,
              host);
  CHECK(host.all<cmd::SetRemoteDescription>().size() == 1);
}

TEST_CASE("a chunk goes on the lane whose channel holds least") {
  CHECK(pick_lane(std::array<uint64_t, 4>{100, 50, 200, 50}) == 1);  // the lowest number on a tie
  CHECK(pick_lane(std::array<uint64_t, 4>{0, kNotALane, kNotALane, kNotALane}) == 0);
  CHECK(pick_lane(std::array<uint64_t, 4>{9000, kNotALane, 10, kNotALane}) == 2);
  CHECK(pick_lane(std::array<uint64_t, 4>{kNotALane, kNotALane, kNotALane, kNotALane}) == 0);
}

TEST_CASE("queues are kept short while lanes open or carry the data, and only then") {
  FakeHost host;
  Lanes near = striping_a(host, 1);
  CHECK_FALSE(near.short_queues());
  Lanes a = striping_a(host);
  CHECK(a.short_queues());  // before the lanes open: the primary must not take the whole window
  a.on_channel_open(1, host);
  a.tick(kLaneOpenTimeoutMs, host);  // lanes 2 and 3 never opened
  CHECK(a.short_queues());
  a.on_channel_closed(1, host);
  CHECK_FALSE(a.short_queues());  // the primary alone again: its usual queue
  CHECK(kLaneLowWatermarkBytes * kLaneQueueScale == transfer::kLowWatermarkBytes);
}
