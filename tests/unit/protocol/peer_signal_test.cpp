// The sealed peer-to-peer signalling messages: round trips, strictness, limits.
#include "protocol/peer_signal.h"

#include <catch2/catch.hpp>

#include <string>

using namespace ferry;
using namespace ferry::protocol;

namespace {
std::string code_of(std::string_view text) {
  auto r = parse_peer_signal(text);
  return r ? std::string("ok") : r.error().code;
}
}  // namespace

TEST_CASE("every peer signal survives a round trip") {
  IceCandidate c{"candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host", "0", 0, "abcd"};
  std::vector<PeerSignal> all = {peer::Offer{"v=0\r\n", 3, true}, peer::Offer{"v=0\r\n", 4, false},
                                 peer::Answer{"v=0\r\n", 3}, peer::Ice{c, 3}, peer::Ice{std::nullopt, 3},
                                 peer::Ice{IceCandidate{"", std::nullopt, std::nullopt, std::nullopt}, 1},
                                 peer::Restart{}, peer::Relay{}, peer::Race{2},
                                 peer::LaneOffer{1, "v=0\r\n", 3}, peer::LaneAnswer{3, "v=0\r\n", 3},
                                 peer::LaneIce{2, c, 3}, peer::LaneIce{1, std::nullopt, 3}};
  for (const auto& m : all) {
    auto back = parse_peer_signal(serialize(m));
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("peer signals are parsed strictly") {
  CHECK(code_of(R"({"t":"offer","sdp":"v=0","gen":1,"fresh":true})") == "ok");
  CHECK(code_of(R"({"t":"offer","sdp":"v=0","gen":1})") == "bad_field");          // fresh missing
  CHECK(code_of(R"({"t":"offer","sdp":"v=0","gen":-1,"fresh":true})") == "bad_field");
  CHECK(code_of(R"({"t":"offer","sdp":"","gen":1,"fresh":true})") == "bad_field");
  CHECK(code_of(R"({"t":"offer","sdp":7,"gen":1,"fresh":true})") == "bad_field");
  CHECK(code_of(R"({"t":"answer","sdp":"v=0","gen":1,"x":1})") == "unknown_field");
  CHECK(code_of(R"({"t":"answer","gen":1})") == "missing_field");
  CHECK(code_of(R"({"t":"ice","gen":1})") == "missing_field");
  CHECK(code_of(R"({"t":"race","gen":1})") == "ok");
  CHECK(code_of(R"({"t":"race"})") == "missing_field");
  CHECK(code_of(R"({"t":"race","gen":1,"fresh":true})") == "unknown_field");
  CHECK(code_of(R"({"t":"ice","candidate":"text","gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"ice","candidate":{"candidate":"c","extra":{}},"gen":1})") == "unknown_field");
  CHECK(code_of(R"({"t":"ice","candidate":{"candidate":"c","sdpMLineIndex":70000},"gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"restart","gen":1})") == "unknown_field");
  CHECK(code_of(R"({"t":"dance"})") == "unknown_type");
  CHECK(code_of(R"({"sdp":"v=0"})") == "missing_field");
  CHECK(code_of(R"([1,2])") == "bad_json");
  CHECK(code_of("not json") == "bad_json");
}

TEST_CASE("lane messages name a lane between 1 and kMaxLanes - 1, and nothing else") {
  CHECK(code_of(R"({"t":"lane_offer","lane":1,"sdp":"v=0","gen":1})") == "ok");
  CHECK(code_of(R"({"t":"lane_offer","lane":3,"sdp":"v=0","gen":1})") == "ok");
  CHECK(code_of(R"({"t":"lane_offer","lane":0,"sdp":"v=0","gen":1})") == "bad_field");  // the primary
  CHECK(code_of(R"({"t":"lane_offer","lane":4,"sdp":"v=0","gen":1})") == "bad_field");  // kMaxLanes
  CHECK(code_of(R"({"t":"lane_offer","lane":-1,"sdp":"v=0","gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"lane_offer","lane":1.5,"sdp":"v=0","gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"lane_offer","sdp":"v=0","gen":1})") == "missing_field");
  CHECK(code_of(R"({"t":"lane_offer","lane":1,"sdp":"v=0","gen":1,"fresh":true})") == "unknown_field");
  CHECK(code_of(R"({"t":"lane_answer","lane":2,"gen":1})") == "missing_field");
  CHECK(code_of(R"({"t":"lane_ice","lane":2,"candidate":null,"gen":1})") == "ok");
  CHECK(code_of(R"({"t":"lane_ice","lane":2,"candidate":"text","gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"lane_ice","lane":9,"candidate":null,"gen":1})") == "bad_field");
  CHECK(code_of(R"({"t":"lane_ice","lane":1,"gen":1})") == "missing_field");
}

TEST_CASE("a deeply nested candidate is refused before anything walks it") {
  std::string deep = R"({"t":"ice","gen":1,"candidate":{"candidate":"c","sdpMid":)";
  for (int i = 0; i < 10000; ++i) deep += "[";
  for (int i = 0; i < 10000; ++i) deep += "]";
  deep += "}}";
  CHECK(code_of(deep) == "bad_json");
}

TEST_CASE("peer signals and their parts have size limits") {
  const std::string big_sdp(kMaxSdpChars + 1, 'a');
  CHECK(code_of(serialize(PeerSignal{peer::Answer{big_sdp, 1}})) != "ok");
  const std::string huge(kMaxPeerSignalBytes + 1, ' ');
  CHECK(code_of(huge) == "too_large");
  IceCandidate c{std::string(kMaxCandidateChars + 1, 'c'), std::nullopt, std::nullopt, std::nullopt};
  CHECK(code_of(serialize(PeerSignal{peer::Ice{c, 1}})) == "bad_field");
}

TEST_CASE("the browser's descriptions and candidates are checked before they are sealed") {
  auto d = parse_session_description(R"({"type":"offer","sdp":"v=0"})");
  REQUIRE(d.ok());
  CHECK(d->type == "offer");
  CHECK(parse_session_description(R"({"type":"pranswer","sdp":"v=0"})").error().code == "bad_field");
  auto c = parse_ice_candidate(R"({"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null,"newField":1})");
  REQUIRE(c.ok());
  CHECK(c->sdp_mid == "0");
  CHECK_FALSE(c->username_fragment.has_value());
  CHECK(parse_ice_candidate(R"({"sdpMid":"0"})").error().code == "missing_field");
}
