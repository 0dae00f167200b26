// Tests of presence groups: who sees whom, hiding, the limits, and invitations (server/presence.h).
#include <catch2/catch.hpp>

#include "presence.h"
#include "test_support.h"

using namespace ferry::server;
namespace proto = ferry::protocol;

namespace {

proto::NearbyClientMessage announce(const std::string& name, bool visible = true) {
  return proto::NearbyAnnounce{name, proto::DeviceType::kDesktop, visible};
}

// The last listing sent to `to` in sends, as names.
std::optional<std::vector<std::string>> listing_for(const Presence::Sends& sends, PeerId to) {
  std::optional<std::vector<std::string>> names;
  for (const auto& [peer, text] : sends) {
    if (peer != to) continue;
    auto m = proto::parse_nearby_server_message(text);
    REQUIRE(m.ok());
    names.emplace();
    for (const auto& d : std::get<proto::NearbyList>(*m).devices) names->push_back(d.name);
  }
  return names;
}

std::string id_of(const Presence::Sends& sends, PeerId to, const std::string& name) {
  for (const auto& [peer, text] : sends) {
    if (peer != to) continue;
    auto m = proto::parse_nearby_server_message(text);
    for (const auto& d : std::get<proto::NearbyList>(*m).devices) {
      if (d.name == name) return d.id;
    }
  }
  return "";
}

const std::string kRoom = "AAAAAAAAAAAAAAAAAAAA";
const std::string kToken = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

}  // namespace

TEST_CASE("devices behind one address see each other, and nobody of another address") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "198.51.100.7", announce("Amber Heron"), nullptr, 0).ok());
  REQUIRE(p.on_message(2, "198.51.100.7", announce("Red Fox"), nullptr, 0).ok());
  auto far = p.on_message(4, "203.0.113.9", announce("Far Away"), nullptr, 0);
  REQUIRE(far.ok());
  CHECK(listing_for(*far, 4) == std::vector<std::string>{});  // alone in its group
  CHECK_FALSE(listing_for(*far, 1));                           // the other group hears nothing
  auto third = p.on_message(3, "198.51.100.7", announce("Blue Whale"), nullptr, 0);
  REQUIRE(third.ok());
  CHECK(listing_for(*third, 1) == std::vector<std::string>{"Red Fox", "Blue Whale"});
  CHECK(listing_for(*third, 3) == std::vector<std::string>{"Amber Heron", "Red Fox"});
  CHECK_FALSE(listing_for(*third, 4));
  CHECK(p.group_count() == 2);
  CHECK(p.device_count() == 4);
}

TEST_CASE("a hidden device is not listed, and still sees the others") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "g", announce("Amber Heron"), nullptr, 0).ok());
  auto hidden = p.on_message(2, "g", announce("Red Fox", false), nullptr, 0);
  REQUIRE(hidden.ok());
  CHECK(listing_for(*hidden, 1) == std::vector<std::string>{});
  CHECK(listing_for(*hidden, 2) == std::vector<std::string>{"Amber Heron"});
  CHECK(p.visible_count() == 1);
  auto shown = p.on_message(2, "g", announce("Red Fox", true), nullptr, 0);
  CHECK(listing_for(*shown, 1) == std::vector<std::string>{"Red Fox"});
}

TEST_CASE("leaving or closing takes a device off its group's lists") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "g", announce("Amber Heron"), nullptr, 0).ok());
  REQUIRE(p.on_message(2, "g", announce("Red Fox"), nullptr, 0).ok());
  auto left = p.on_message(2, "g", proto::NearbyLeave{}, nullptr, 0);
  REQUIRE(left.ok());
  CHECK(listing_for(*left, 1) == std::vector<std::string>{});
  REQUIRE(p.on_message(3, "g", announce("Blue Whale"), nullptr, 0).ok());
  CHECK(listing_for(p.detach(3), 1) == std::vector<std::string>{});
  CHECK(p.detach(1).empty());
  CHECK(p.group_count() == 0);
  CHECK(p.device_count() == 0);
}

TEST_CASE("a group is full at kMaxDevicesPerGroup, and another address still gets in") {
  Presence p(testing::counting_random());
  for (PeerId i = 1; i <= kMaxDevicesPerGroup; ++i) REQUIRE(p.on_message(i, "g", announce("Red Fox"), nullptr, 0).ok());
  auto full = p.on_message(100, "g", announce("Red Fox"), nullptr, 0);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == "nearby_full");
  CHECK(p.on_message(101, "h", announce("Red Fox"), nullptr, 0).ok());
}

TEST_CASE("a flood of presence updates is refused past the burst, and refills with time") {
  Presence p(testing::counting_random());
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += p.on_message(1, "g", announce("Red Fox", i % 2 == 0), nullptr, 0).ok();
  CHECK(accepted == static_cast<int>(kPresenceBurst));
  auto refused = p.on_message(1, "g", announce("Red Fox"), nullptr, 0);
  CHECK(refused.error().code == "nearby_rate");
  // Leaving and coming back does not reset the budget.
  CHECK(p.on_message(1, "g", proto::NearbyLeave{}, nullptr, 0).error().code == "nearby_rate");
  CHECK(p.on_message(1, "g", announce("Red Fox"), nullptr, 2000).ok());  // 0.5 per second
}

TEST_CASE("an invitation reaches a listed device of the group, into the inviter's own room") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "g", announce("Amber Heron"), nullptr, 0).ok());
  auto second = p.on_message(2, "g", announce("Red Fox"), nullptr, 0);
  std::string fox = id_of(*second, 1, "Red Fox");
  REQUIRE(!fox.empty());
  auto sent = p.on_message(1, "g", proto::NearbyInvite{fox, kRoom, kToken}, &kRoom, 0);
  REQUIRE(sent.ok());
  REQUIRE(sent->size() == 1);
  CHECK(sent->front().first == 2);
  auto m = proto::parse_nearby_server_message(sent->front().second);
  REQUIRE(m.ok());
  const auto& inv = std::get<proto::NearbyInvited>(*m);
  CHECK(inv.from.name == "Amber Heron");
  CHECK(inv.room == kRoom);
  CHECK(inv.token == kToken);
  CHECK(p.invitations() == 1);
}

TEST_CASE("invitations to unknown ids, other groups, hidden devices, itself or another room are refused") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "g", announce("Amber Heron"), nullptr, 0).ok());
  auto fox_sends = p.on_message(2, "g", announce("Red Fox"), nullptr, 0);
  REQUIRE(p.on_message(3, "h", announce("Far Away"), nullptr, 0).ok());
  auto far_mate = p.on_message(4, "h", announce("Far Mate"), nullptr, 0);
  std::string fox = id_of(*fox_sends, 1, "Red Fox");
  std::string amber = id_of(*fox_sends, 2, "Amber Heron");
  std::string far = id_of(*far_mate, 4, "Far Away");
  REQUIRE(!far.empty());
  auto code = [&](PeerId from, const std::string& to, const std::string* room) {
    auto r = p.on_message(from, from <= 2 ? "g" : "h", proto::NearbyInvite{to, kRoom, kToken}, room, 0);
    return r ? std::string("ok") : r.error().code;
  };
  CHECK(code(1, "CCCCCCCCCCCCCCCC", &kRoom) == "unknown_device");
  CHECK(code(1, far, &kRoom) == "unknown_device");  // the same answer as an id that never was
  CHECK(code(1, amber, &kRoom) == "unknown_device");  // itself
  const std::string other_room = "ZZZZZZZZZZZZZZZZZZZZ";
  CHECK(code(1, fox, &other_room) == "not_your_room");
  CHECK(code(1, fox, nullptr) == "not_your_room");
  REQUIRE(p.on_message(2, "g", announce("Red Fox", false), nullptr, 0).ok());
  CHECK(code(1, fox, &kRoom) == "unknown_device");  // hidden now
  CHECK(code(5, fox, &kRoom) == "not_nearby");      // never announced
  CHECK(p.invitations() == 0);
}

TEST_CASE("presence metrics count devices and groups, and never name an address") {
  Presence p(testing::counting_random());
  REQUIRE(p.on_message(1, "198.51.100.7", announce("Amber Heron"), nullptr, 0).ok());
  REQUIRE(p.on_message(2, "2001:db8:1:2::/64", announce("Red Fox", false), nullptr, 0).ok());
  std::string text = p.metrics_text();
  CHECK(text.find("ferry_presence_devices 2\n") != std::string::npos);
  CHECK(text.find("ferry_presence_visible 1\n") != std::string::npos);
  CHECK(text.find("ferry_presence_groups 2\n") != std::string::npos);
  CHECK(text.find("198.51") == std::string::npos);
  CHECK(text.find("2001:db8") == std::string::npos);
  CHECK(text.find("Amber") == std::string::npos);
}
