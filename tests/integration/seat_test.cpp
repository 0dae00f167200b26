// The joiner's seat through the real server: confirmation, the unconfirmed-joiner expiry, a
// squatting nameplate joiner displaced by the link joiner, rejection, the room's failure lock
// and fresh codes. Each shows the rule bites and a neighbouring room is unaffected.
#include <catch2/catch.hpp>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

std::string error_code(WsClient& c) {
  return c.expect("error").json().value("code", "");
}

proto::Created create(WsClient& a) {
  REQUIRE(a.send_text(msg(proto::Create{})));
  return std::get<proto::Created>(must_get(a, "created"));
}

}  // namespace

TEST_CASE("a squatting nameplate joiner is displaced by the link joiner") {
  Server s;
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient creator(s.port()), squatter(s.port()), linked(s.port());
  auto created = create(creator);
  REQUIRE(squatter.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  must_get(squatter, "joined");
  must_get(creator, "peer_joined");
  // The squatter sits silently; the real joiner opens the link and gets in at once.
  REQUIRE(linked.send_text(msg(proto::JoinByToken{created.room, created.token})));
  auto joined = std::get<proto::Joined>(must_get(linked, "joined"));
  CHECK(joined.peer);
  CHECK(squatter.wait_close() == 4011);
  must_get(creator, "peer_left");
  must_get(creator, "peer_joined");
  REQUIRE(creator.send_text(msg(proto::Relay{"aGk"})));
  CHECK(linked.expect("relay").json()["payload"] == "aGk");
  // A second link join meets the unconfirmed link joiner: refused, not displacing.
  WsClient third(s.port());
  REQUIRE(third.send_text(msg(proto::JoinByToken{created.room, created.token})));
  CHECK(error_code(third) == "room_full");
  CHECK(n.still_working());
}

TEST_CASE("a joiner that does not confirm in time is closed with 4010 and the seat frees") {
  Server s({"--confirm-timeout-ms", "400"});
  REQUIRE(s.started());
  Neighbours n(s.port());  // confirmed: it outlives the timeout
  WsClient creator(s.port()), idle(s.port());
  auto created = create(creator);
  REQUIRE(idle.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(idle, "joined");
  must_get(creator, "peer_joined");
  CHECK(idle.wait_close(std::chrono::milliseconds(5000)) == 4010);
  must_get(creator, "peer_left");
  WsClient real(s.port());
  REQUIRE(real.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(real, "joined");
  must_get(creator, "peer_joined");
  REQUIRE(creator.send_text(msg(proto::PakeConfirmed{})));
  // Well past the timeout a confirmed joiner is still there, as is the neighbour.
  CHECK(eventually([&] { return metric(s.port(), "ferry_pake_confirmed_total") >= 2; }));
  CHECK(real.read(std::chrono::milliseconds(1200)).kind == WsClient::Event::Kind::kTimeout);
  CHECK(n.still_working());
  CHECK(eventually([&] {
    return http_request(s.port(), "/metrics").body.find("reason=\"unconfirmed\"} 1") !=
           std::string::npos;
  }));
}

TEST_CASE("reject_peer sends an unconfirmed joiner away with 4012; a confirmed one stays") {
  Server s;
  REQUIRE(s.started());
  WsClient creator(s.port()), guest(s.port());
  auto created = create(creator);
  REQUIRE(guest.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  must_get(guest, "joined");
  must_get(creator, "peer_joined");
  REQUIRE(guest.send_text(msg(proto::RejectPeer{})));
  CHECK(error_code(guest) == "not_creator");
  REQUIRE(creator.send_text(msg(proto::RejectPeer{})));
  CHECK(guest.wait_close() == 4012);
  must_get(creator, "peer_left");
  WsClient linked(s.port());
  REQUIRE(linked.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(linked, "joined");
  must_get(creator, "peer_joined");
  REQUIRE(creator.send_text(msg(proto::PakeConfirmed{})));
  REQUIRE(creator.send_text(msg(proto::RejectPeer{})));
  CHECK(error_code(creator) == "not_allowed");
}

TEST_CASE("a locked room refuses new joiners but its confirmed peer rejoins") {
  Server s({"--max-room-failures", "3", "--max-pake-failures", "10", "--grace", "5"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient creator(s.port());
  auto created = create(creator);
  // Two link holders fail the handshake.
  for (int i = 0; i < 2; ++i) {
    WsClient guesser(s.port());
    REQUIRE(guesser.send_text(msg(proto::JoinByToken{created.room, created.token})));
    must_get(guesser, "joined");
    must_get(creator, "peer_joined");
    REQUIRE(creator.send_text(msg(proto::PakeFailed{})));
    CHECK(guesser.wait_close() == 4009);
    must_get(creator, "peer_left");
  }
  // The real joiner confirms; a failed re-handshake on its seat reaches the limit.
  proto::Joined joined;
  {
    WsClient real(s.port());
    REQUIRE(real.send_text(msg(proto::JoinByToken{created.room, created.token})));
    joined = std::get<proto::Joined>(must_get(real, "joined"));
    must_get(creator, "peer_joined");
    REQUIRE(creator.send_text(msg(proto::PakeConfirmed{})));
    REQUIRE(creator.send_text(msg(proto::PakeFailed{})));
    CHECK(real.wait_close() == 4009);
    must_get(creator, "peer_left");
    CHECK(error_code(creator) == "nameplate_burned");  // the lock releases the code too
  }
  WsClient late(s.port());
  REQUIRE(late.send_text(msg(proto::JoinByToken{created.room, created.token})));
  CHECK(error_code(late) == "room_locked");
  REQUIRE(creator.send_text(msg(proto::NewCode{})));
  CHECK(error_code(creator) == "room_locked");
  WsClient back(s.port());
  REQUIRE(back.send_text(msg(proto::Rejoin{created.room, joined.resume})));
  must_get(back, "joined");
  must_get(creator, "peer_joined");
  REQUIRE(creator.send_text(msg(proto::Relay{"YmFjaw"})));
  CHECK(back.expect("relay").json()["payload"] == "YmFjaw");
  // The neighbour room takes new joiners as ever.
  CHECK(n.still_working());
  WsClient other(s.port()), other_joiner(s.port());
  auto other_room = create(other);
  REQUIRE(other_joiner.send_text(msg(proto::JoinByNameplate{other_room.nameplate})));
  must_get(other_joiner, "joined");
}

TEST_CASE("new_code answers a fresh nameplate and the old one stops working") {
  Server s({"--max-pake-failures", "1"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient creator(s.port());
  auto created = create(creator);
  {
    WsClient guesser(s.port());
    REQUIRE(guesser.send_text(msg(proto::JoinByNameplate{created.nameplate})));
    must_get(guesser, "joined");
    REQUIRE(creator.send_text(msg(proto::PakeFailed{})));
    CHECK(guesser.wait_close() == 4009);
    CHECK(error_code(creator) == "nameplate_burned");
  }
  REQUIRE(creator.send_text(msg(proto::NewCode{})));
  auto fresh = std::get<proto::NewNameplate>(must_get(creator, "nameplate"));
  CHECK(proto::is_valid_nameplate(fresh.nameplate));
  CHECK(fresh.nameplate != created.nameplate);
  WsClient old_code(s.port());
  REQUIRE(old_code.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  CHECK(error_code(old_code) == "no_such_nameplate");
  WsClient joiner(s.port());
  REQUIRE(joiner.send_text(msg(proto::JoinByNameplate{fresh.nameplate})));
  auto joined = std::get<proto::Joined>(must_get(joiner, "joined"));
  CHECK(joined.room == created.room);
  must_get(creator, "peer_joined");
  REQUIRE(creator.send_text(msg(proto::PakeConfirmed{})));
  REQUIRE(creator.send_text(msg(proto::NewCode{})));
  CHECK(error_code(creator) == "room_confirmed");
  REQUIRE(n.b.send_text(msg(proto::NewCode{})));
  CHECK(error_code(n.b) == "not_creator");
  CHECK(n.still_working());
}
