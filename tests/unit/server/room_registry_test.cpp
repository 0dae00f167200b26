// Tests of the room lifecycle logic: joins, rejoins, expiry and nameplates, with a hand-driven clock.
#include <catch2/catch.hpp>

#include "protocol/signal.h"
#include "room_registry.h"
#include "test_support.h"

using namespace ferry::server;

namespace {

RoomLimits limits() {
  RoomLimits l;
  l.unjoined_ttl_ms = 10'000;
  l.hard_cap_ms = 100'000;
  l.grace_ms = 5'000;
  l.max_pake_failures = 2;
  return l;
}

}  // namespace

TEST_CASE("create returns well-formed identifiers") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(c.ok());
  CHECK(ferry::protocol::is_valid_room(c->room));
  CHECK(ferry::protocol::is_valid_token(c->token));
  CHECK(ferry::protocol::is_valid_token(c->resume));
  CHECK(ferry::protocol::is_valid_nameplate(c->nameplate));
  CHECK(c->expires_ms == 10'000);
  CHECK(reg.room_count() == 1);
  CHECK(reg.peer_count() == 1);
}

TEST_CASE("a connection can be in one room only") {
  RoomRegistry reg(limits(), testing::counting_random());
  REQUIRE(reg.create(1, 0).ok());
  auto again = reg.create(1, 0);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "already_in_room");
}

TEST_CASE("join with the token pairs the peers and a third is refused") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto j = reg.join_by_token(2, c->room, c->token, 100);
  REQUIRE(j.ok());
  CHECK(j->other == std::optional<PeerId>(1));
  CHECK_FALSE(j->creator);
  CHECK(j->resume != c->resume);
  CHECK(reg.relay_target(1).value() == 2);
  CHECK(reg.relay_target(2).value() == 1);
  auto third = reg.join_by_token(3, c->room, c->token, 200);
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == "room_full");
}

TEST_CASE("a wrong token and an unknown room get the same refusal") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  std::string wrong = c->token;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  auto a = reg.join_by_token(2, c->room, wrong, 0);
  auto b = reg.join_by_token(2, "ZZZZZZZZZZZZZZZZZZZZ", c->token, 0);
  REQUIRE_FALSE(a.ok());
  REQUIRE_FALSE(b.ok());
  CHECK(a.error().code == "join_refused");
  CHECK(b.error().code == "join_refused");
  CHECK(a.error().message == b.error().message);
}

TEST_CASE("a nameplate is freed once claimed") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.nameplate_count() == 1);
  auto j = reg.join_by_nameplate(2, c->nameplate, 0);
  REQUIRE(j.ok());
  CHECK(j->room == c->room);
  CHECK(reg.nameplate_count() == 0);
  auto again = reg.join_by_nameplate(3, c->nameplate, 0);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "no_such_nameplate");
}

TEST_CASE("failed PAKE reports evict the joiner and burn the nameplate after the limit") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 0).ok());
  auto first = reg.pake_failed(1, 0);
  REQUIRE(first.ok());
  CHECK(first->evicted == std::optional<PeerId>(2));
  CHECK_FALSE(first->burned);
  CHECK_FALSE(reg.in_room(2));
  // The same code works again for one more attempt.
  REQUIRE(reg.join_by_nameplate(3, c->nameplate, 0).ok());
  auto second = reg.pake_failed(1, 0);
  REQUIRE(second.ok());
  CHECK(second->burned);
  CHECK(reg.join_by_nameplate(4, c->nameplate, 0).error().code == "no_such_nameplate");
  // The link still works: burning the short code does not burn the room.
  CHECK(reg.join_by_token(5, c->room, c->token, 0).ok());
}

TEST_CASE("only the creator reports PAKE failures") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.pake_failed(2, 0).error().code == "not_creator");
  CHECK(reg.pake_failed(9, 0).error().code == "not_in_room");
}

TEST_CASE("the relay route names the room and the other peer while it is connected") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  CHECK(reg.relay_route(1)->to == std::nullopt);  // alone: the data relay drops, not refuses
  CHECK(*reg.relay_route(1)->room == c->room);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.relay_route(1)->to == std::optional<PeerId>(2));
  CHECK(reg.relay_route(2)->to == std::optional<PeerId>(1));
  CHECK(*reg.relay_route(2)->room == c->room);
  reg.disconnect(2, 0);
  CHECK(reg.relay_route(1)->to == std::nullopt);
  CHECK(reg.relay_route(9).error().code == "not_in_room");
}

TEST_CASE("a dropped peer rejoins with its resume token within the grace period") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto j = reg.join_by_token(2, c->room, c->token, 0);
  CHECK(reg.disconnect(2, 1000) == std::optional<PeerId>(1));
  CHECK(reg.relay_target(1).error().code == "no_peer");
  CHECK(reg.sweep(5999).empty());
  auto r = reg.rejoin(3, c->room, j->resume, 5999);
  REQUIRE(r.ok());
  CHECK_FALSE(r->creator);
  CHECK(r->other == std::optional<PeerId>(1));
  CHECK(reg.relay_target(1).value() == 3);
  // The old resume token was replaced by a fresh one.
  reg.disconnect(3, 6000);
  CHECK(reg.rejoin(4, c->room, j->resume, 6001).error().code == "resume_refused");
  CHECK(reg.rejoin(4, c->room, r->resume, 6001).ok());
}

TEST_CASE("a resume token stops working after the grace period") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto j = reg.join_by_token(2, c->room, c->token, 0);
  reg.disconnect(2, 1000);
  CHECK(reg.sweep(6000).empty());  // the creator is still there: the room lives
  CHECK(reg.rejoin(3, c->room, j->resume, 6001).error().code == "resume_refused");
  CHECK(reg.room_count() == 1);
}

TEST_CASE("a rejoin while the old connection lingers replaces it") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto r = reg.rejoin(7, c->room, c->resume, 10);
  REQUIRE(r.ok());
  CHECK(r->replaced == std::optional<PeerId>(1));
  CHECK(r->creator);
  CHECK_FALSE(reg.in_room(1));
  CHECK(reg.in_room(7));
}

TEST_CASE("a room is destroyed once both peers are gone past the grace period") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  reg.disconnect(1, 1000);
  reg.disconnect(2, 2000);
  reg.sweep(6500);
  CHECK(reg.room_count() == 1);  // peer 2 is still within grace
  reg.sweep(7000);
  CHECK(reg.room_count() == 0);
}

TEST_CASE("an unjoined room expires and its creator is closed") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  CHECK(reg.sweep(9999).empty());
  auto closed = reg.sweep(10'000);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].peer == 1);
  CHECK(closed[0].code == CloseCode::kRoomExpired);
  CHECK(reg.room_count() == 0);
  CHECK(reg.nameplate_count() == 0);
  CHECK(reg.join_by_token(2, c->room, c->token, 10'001).error().code == "join_refused");
}

TEST_CASE("every room ends at the hard cap") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.sweep(99'999).empty());
  CHECK(reg.sweep(100'000).size() == 2);
  CHECK(reg.peer_count() == 0);
}

TEST_CASE("rooms do not affect each other") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto a = reg.create(1, 0);
  auto b = reg.create(2, 0);
  REQUIRE(reg.join_by_token(3, a->room, a->token, 0).ok());
  CHECK(reg.join_by_token(4, a->room, a->token, 0).error().code == "room_full");
  REQUIRE(reg.join_by_token(4, b->room, b->token, 0).ok());
  CHECK(reg.relay_target(4).value() == 2);
  CHECK(reg.relay_target(3).value() == 1);
  CHECK(a->nameplate != b->nameplate);
}
