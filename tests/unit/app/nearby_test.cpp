// Tests of nearby devices on the client: generated names, device types, the presence machine
// (app/nearby.h), and a nearby transfer: A invites B into its room, B joins with the public
// nearby password, both show the same words, and the file arrives.
#include <catch2/catch.hpp>

#include "app/nearby.h"
#include "session_world.h"

using namespace ferry_test;
namespace proto = ferry::protocol;

namespace {
const std::string kId = "CCCCCCCCCCCCCCCC";
}

TEST_CASE("generated device names are two words the protocol admits, and vary") {
  auto rng = counter_rng(3);
  std::set<std::string> names;
  for (int i = 0; i < 200; ++i) {
    std::string n = generate_device_name(rng);
    CHECK(proto::is_valid_device_name(n));
    CHECK(n.find(' ') != std::string::npos);
    names.insert(n);
  }
  CHECK(names.size() > 150);
}

TEST_CASE("the device type comes from the user agent") {
  using proto::DeviceType;
  CHECK(device_type_from_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148") ==
        DeviceType::kPhone);
  CHECK(device_type_from_user_agent("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36") ==
        DeviceType::kPhone);
  CHECK(device_type_from_user_agent("Mozilla/5.0 (Linux; Android 13; SM-X700) Chrome/120 Safari/537.36") ==
        DeviceType::kTablet);
  CHECK(device_type_from_user_agent("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)") == DeviceType::kTablet);
  CHECK(device_type_from_user_agent("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120") == DeviceType::kDesktop);
  CHECK(device_type_from_user_agent("") == DeviceType::kDesktop);
}

TEST_CASE("presence announces on open, shows listings, hides on request and reconnects with back-off") {
  Nearby n("Amber Heron", proto::DeviceType::kDesktop, true);
  CHECK_FALSE(n.wants_open(0));
  n.start(0);
  CHECK(n.wants_open(0));
  CHECK_FALSE(n.wants_open(0));  // once
  n.on_open();
  auto out = n.take_outgoing();
  REQUIRE(out.size() == 1);
  auto sent = proto::parse_nearby_client_message(out[0]);
  REQUIRE(sent.ok());
  CHECK(std::get<proto::NearbyAnnounce>(*sent) == proto::NearbyAnnounce{"Amber Heron", proto::DeviceType::kDesktop, true});
  n.on_message(proto::serialize(proto::NearbyServerMessage{proto::NearbyList{{{kId, "Red Fox", proto::DeviceType::kPhone}}}}));
  REQUIRE(n.devices().size() == 1);
  CHECK(n.find(kId)->name == "Red Fox");
  n.on_message("{\"v\":1,\"type\":\"nearby_list\",\"devices\":[{\"id\":\"x\"}]}");  // malformed: ignored
  CHECK(n.devices().size() == 1);
  n.set_visible(false);
  sent = proto::parse_nearby_client_message(n.take_outgoing().at(0));
  CHECK_FALSE(std::get<proto::NearbyAnnounce>(*sent).visible);
  n.on_closed(1000);
  CHECK(n.devices().empty());
  CHECK_FALSE(n.wants_open(1500));
  CHECK(n.wants_open(2000));  // after the first back-off
  n.on_closed(2000);
  CHECK_FALSE(n.wants_open(3500));
  CHECK(n.wants_open(4000));  // doubled
  n.on_open();
  sent = proto::parse_nearby_client_message(n.take_outgoing().at(0));
  CHECK_FALSE(std::get<proto::NearbyAnnounce>(*sent).visible);  // still hidden after reconnecting
  n.stop();
  n.on_closed(5000);
  CHECK_FALSE(n.wants_open(1e9));
}

TEST_CASE("presence keeps an invitation until it is taken, and says why the server refused") {
  Nearby n("Amber Heron", proto::DeviceType::kDesktop, true);
  n.start(0);
  REQUIRE(n.wants_open(0));
  n.on_open();
  proto::NearbyInvited inv{{kId, "Red Fox", proto::DeviceType::kPhone}, "AAAAAAAAAAAAAAAAAAAA",
                           "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"};
  n.on_message(proto::serialize(proto::NearbyServerMessage{inv}));
  auto taken = n.take_invitation();
  REQUIRE(taken);
  CHECK(*taken == inv);
  CHECK_FALSE(n.take_invitation());
  n.on_message(proto::serialize(proto::ServerMessage{proto::ErrorMessage{"nearby_full", "full"}}));
  CHECK(n.problem() == "nearby_full");
}

TEST_CASE("a nearby transfer: A invites B, both show the same words, and the file arrives") {
  World w;
  const Bytes file = w.send_from_a("photo.jpg", 300 * 1024, 5);
  w.a.session.create_nearby(NearbyTarget{kId, "Red Fox", "Amber Heron", proto::DeviceType::kDesktop});
  w.run();
  // A's connection announced itself hidden, invited, and left the group again.
  REQUIRE(w.nearby_from_a.size() == 3);
  CHECK_FALSE(std::get<proto::NearbyAnnounce>(w.nearby_from_a[0]).visible);
  const auto invite = std::get<proto::NearbyInvite>(w.nearby_from_a[1]);
  CHECK(invite.to == kId);
  CHECK(invite.room == w.room);
  CHECK(invite.token == w.token);
  CHECK(std::holds_alternative<proto::NearbyLeave>(w.nearby_from_a[2]));
  CHECK(w.a.session.snapshot().status.find("Red Fox") != std::string::npos);
  // The server's listing for that hidden entry is not logged as a malformed message.
  w.a.session.on_server_message(proto::serialize(proto::NearbyServerMessage{proto::NearbyList{}}));
  CHECK_FALSE(has_log(w.a.session, "malformed"));
  REQUIRE(w.b.session.join_nearby(invite.room, invite.token, "Amber Heron").ok());
  w.run();
  const Snapshot sa = w.a.session.snapshot(), sb = w.b.session.snapshot();
  CHECK(sa.phase == Phase::kConnected);
  CHECK(sb.phase == Phase::kConnected);
  CHECK(!sa.sas.empty());
  CHECK(sa.sas == sb.sas);
  CHECK(sa.nearby_peer == "Red Fox");
  CHECK(sb.nearby_peer == "Amber Heron");
  w.advance(2000);
  REQUIRE(w.b.sinks.size() == 1);
  CHECK(w.b.sinks.begin()->second == file);
}

TEST_CASE("a room that invited nobody refuses a nearby join without running the handshake") {
  World w;
  w.a.session.create();
  w.run();
  REQUIRE(w.b.session.join_nearby(w.room, w.token, "Amber Heron").ok());
  w.run();
  CHECK(w.rejects == 1);
  CHECK(has_log(w.a.session, "invited no nearby device"));
  CHECK(w.a.session.snapshot().sas.empty());
  CHECK(w.b.session.snapshot().sas.empty());
}

TEST_CASE("an invitation that finds nobody ends the sender's attempt with words") {
  World w;
  w.a.session.create_nearby(NearbyTarget{kId, "Red Fox", "Amber Heron", proto::DeviceType::kDesktop});
  w.run();
  w.a.session.on_server_message(proto::serialize(proto::ServerMessage{proto::ErrorMessage{"unknown_device", "gone"}}));
  check_failed(w.a.session, "unknown_device");
  CHECK(w.a.session.snapshot().error->message.find("Red Fox") != std::string::npos);
}

TEST_CASE("a malformed invitation is refused before anything is sent") {
  World w;
  CHECK_FALSE(w.b.session.join_nearby("short", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "Amber Heron").ok());
  CHECK(w.b.session.take_commands().empty());
}
