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
  l.max_room_failures = 5;
  l.confirm_timeout_ms = 20'000;
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
  REQUIRE(reg.pake_confirmed(1, 10).ok());
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

// --- the joiner's seat: confirmation, expiry, displacement, rejection ------------------------

TEST_CASE("pake_confirmed keeps the joiner's seat and spends the nameplate for good") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 0).ok());
  REQUIRE(reg.pake_confirmed(1, 100).ok());
  CHECK(reg.sweep(60'000).empty());  // past the confirm timeout: a confirmed joiner stays
  CHECK(reg.in_room(2));
  // Even a later failure (a new handshake that failed) does not bring the spent code back.
  REQUIRE(reg.pake_failed(1, 60'001).ok());
  CHECK(reg.join_by_nameplate(3, c->nameplate, 60'002).error().code == "no_such_nameplate");
  CHECK(reg.nameplate_count() == 0);
}

TEST_CASE("pake_confirmed spends a nameplate that was still offered when the link joiner confirmed") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.nameplate_count() == 1);
  REQUIRE(reg.pake_confirmed(1, 10).ok());
  CHECK(reg.nameplate_count() == 0);
}

TEST_CASE("only the creator confirms, and only a joiner") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  CHECK(reg.pake_confirmed(1, 0).error().code == "no_peer");
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.pake_confirmed(2, 0).error().code == "not_creator");
  CHECK(reg.pake_confirmed(9, 0).error().code == "not_in_room");
}

TEST_CASE("an unconfirmed joiner is closed at the confirm timeout, the creator told, nothing counted") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 1'000).ok());
  CHECK(reg.sweep(20'999).empty());
  auto out = reg.sweep(21'000);
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == 2);
  CHECK(out[0].code == CloseCode::kUnconfirmed);
  CHECK(out[0].notify == std::optional<PeerId>(1));
  CHECK_FALSE(reg.in_room(2));
  CHECK(reg.room_failures(c->room) == 0);
  // The seat is free for the link holder, and the code for the person it was meant for.
  CHECK(reg.join_by_nameplate(3, c->nameplate, 21'001).ok());
}

TEST_CASE("a rejoin does not restart the confirm timeout") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto j = reg.join_by_token(2, c->room, c->token, 0);
  reg.disconnect(2, 10'000);
  REQUIRE(reg.rejoin(3, c->room, j->resume, 15'000).ok());
  auto out = reg.sweep(20'000);
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == 3);
  CHECK(out[0].code == CloseCode::kUnconfirmed);
}

TEST_CASE("an unconfirmed joiner that dropped frees its seat at the confirm timeout too") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto j = reg.join_by_token(2, c->room, c->token, 0);
  reg.disconnect(2, 1'000);
  CHECK(reg.sweep(20'000).empty());  // nobody to close
  CHECK(reg.rejoin(3, c->room, j->resume, 20'001).error().code == "resume_refused");
  CHECK(reg.join_by_token(3, c->room, c->token, 20'001).ok());
}

TEST_CASE("a token join takes the seat from an unconfirmed nameplate joiner") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto squatter = reg.join_by_nameplate(2, c->nameplate, 0);
  REQUIRE(squatter.ok());
  auto j = reg.join_by_token(3, c->room, c->token, 5'000);
  REQUIRE(j.ok());
  CHECK(j->displaced == std::optional<PeerId>(2));
  CHECK(j->other == std::optional<PeerId>(1));
  CHECK_FALSE(reg.in_room(2));
  CHECK(reg.relay_target(1).value() == 3);
  CHECK(reg.rejoin(4, c->room, squatter->resume, 5'001).error().code == "resume_refused");
  CHECK(reg.room_failures(c->room) == 0);
  // The new joiner's confirm window starts at its own claim.
  CHECK(reg.sweep(24'999).empty());
  CHECK(reg.sweep(25'000).size() == 1);
}

TEST_CASE("a token join is refused while a confirmed or a token joiner holds the seat") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto a = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, a->room, a->token, 0).ok());
  CHECK(reg.join_by_token(3, a->room, a->token, 0).error().code == "room_full");  // unconfirmed token joiner
  auto b = reg.create(4, 0);
  REQUIRE(reg.join_by_nameplate(5, b->nameplate, 0).ok());
  REQUIRE(reg.pake_confirmed(4, 0).ok());
  CHECK(reg.join_by_token(6, b->room, b->token, 0).error().code == "room_full");  // confirmed
  CHECK(reg.in_room(5));
}

TEST_CASE("a nameplate join never displaces anyone") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 0).ok());
  REQUIRE(reg.pake_failed(1, 1).ok());  // re-offers the code
  REQUIRE(reg.join_by_token(3, c->room, c->token, 2).ok());
  CHECK(reg.join_by_nameplate(4, c->nameplate, 3).error().code == "room_full");
  CHECK(reg.in_room(3));
}

TEST_CASE("reject_peer evicts an unconfirmed joiner without counting a failure") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  CHECK(reg.reject_peer(1, 0).error().code == "no_peer");
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 0).ok());
  CHECK(reg.reject_peer(2, 0).error().code == "not_creator");
  auto r = reg.reject_peer(1, 10);
  REQUIRE(r.ok());
  CHECK(r->evicted == std::optional<PeerId>(2));
  CHECK_FALSE(reg.in_room(2));
  CHECK(reg.room_failures(c->room) == 0);
  CHECK(reg.join_by_token(3, c->room, c->token, 20).ok());
}

TEST_CASE("reject_peer is refused for a confirmed joiner") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  REQUIRE(reg.pake_confirmed(1, 0).ok());
  CHECK(reg.reject_peer(1, 0).error().code == "not_allowed");
  CHECK(reg.in_room(2));
}

// --- failures and the locked room ------------------------------------------------------------

// Fails n handshakes in the room through token joins (the link holder's path).
void fail_by_token(RoomRegistry& reg, const CreateResult& c, int n, PeerId& next) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(reg.join_by_token(next++, c.room, c.token, 0).ok());
    REQUIRE(reg.pake_failed(1, 0).ok());
  }
}

TEST_CASE("failures count over every join path") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  PeerId next = 10;
  fail_by_token(reg, *c, 1, next);
  auto j = reg.join_by_nameplate(next++, c->nameplate, 0);
  REQUIRE(j.ok());
  reg.disconnect(next - 1, 1);
  REQUIRE(reg.rejoin(next++, c->room, j->resume, 2).ok());
  REQUIRE(reg.pake_failed(1, 3).ok());
  CHECK(reg.room_failures(c->room) == 2);
}

TEST_CASE("the code's failures burn the nameplate while the room's total goes on") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  PeerId next = 10;
  fail_by_token(reg, *c, 1, next);
  REQUIRE(reg.join_by_nameplate(next++, c->nameplate, 0).ok());
  auto second = reg.pake_failed(1, 0);
  CHECK(second->burned);  // two failures of this code (the limit in these tests)
  CHECK(reg.join_by_token(next++, c->room, c->token, 0).ok());  // the link goes on
}

TEST_CASE("a room at its failure limit admits nobody new but lets its confirmed peers back") {
  RoomLimits l = limits();
  l.max_pake_failures = 100;  // keep the nameplate offered until the room's limit
  RoomRegistry reg(l, testing::counting_random());
  auto c = reg.create(1, 0);
  auto neighbour = reg.create(2, 0);
  PeerId next = 10;
  fail_by_token(reg, *c, 4, next);
  auto good = reg.join_by_token(next++, c->room, c->token, 0);
  REQUIRE(good.ok());
  REQUIRE(reg.pake_confirmed(1, 0).ok());
  // A failed re-handshake on the confirmed seat reaches the limit (5 in these tests): that
  // connection goes, the seat stays.
  auto last = reg.pake_failed(1, 100);
  REQUIRE(last.ok());
  CHECK(last->evicted == std::optional<PeerId>(next - 1));
  CHECK(reg.room_failures(c->room) == 5);
  CHECK(reg.join_by_token(next++, c->room, c->token, 200).error().code == "room_locked");
  CHECK(reg.new_code(1, 200).error().code == "room_locked");
  auto back = reg.rejoin(next++, c->room, good->resume, 200);
  INFO((back.ok() ? std::string("ok") : back.error().code));
  REQUIRE(back.ok());
  CHECK(back->other == std::optional<PeerId>(1));
  reg.disconnect(1, 300);
  CHECK(reg.rejoin(next++, c->room, c->resume, 300).ok());  // the creator
  // The neighbour room is untouched.
  CHECK(reg.room_failures(neighbour->room) == 0);
  CHECK(reg.join_by_nameplate(next++, neighbour->nameplate, 300).ok());
}

TEST_CASE("a room's lock burns its nameplate and refuses a rejoin to an unconfirmed seat") {
  RoomLimits l = limits();
  l.max_pake_failures = 100;
  RoomRegistry reg(l, testing::counting_random());
  auto c = reg.create(1, 0);
  PeerId next = 10;
  fail_by_token(reg, *c, 4, next);
  CHECK(reg.nameplate_count() == 1);
  auto j = reg.join_by_nameplate(next++, c->nameplate, 0);
  REQUIRE(j.ok());
  auto locking = reg.pake_failed(1, 1);
  CHECK(locking->burned);
  CHECK(reg.nameplate_count() == 0);
  CHECK(reg.join_by_nameplate(next++, c->nameplate, 2).error().code == "no_such_nameplate");
  // The failed joiner's seat was freed with its resume token.
  CHECK(reg.rejoin(next++, c->room, j->resume, 2).error().code == "resume_refused");
}

TEST_CASE("new_code gives a fresh nameplate with a fresh failure count and releases the old one") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_nameplate(2, c->nameplate, 0).ok());
  REQUIRE(reg.pake_failed(1, 0).ok());
  REQUIRE(reg.join_by_nameplate(3, c->nameplate, 0).ok());
  REQUIRE(reg.pake_failed(1, 0)->burned);
  auto n = reg.new_code(1, 10);
  REQUIRE(n.ok());
  CHECK(ferry::protocol::is_valid_nameplate(*n));
  CHECK(*n != c->nameplate);
  CHECK(reg.nameplate_count() == 1);
  CHECK(reg.join_by_nameplate(4, c->nameplate, 11).error().code == "no_such_nameplate");
  REQUIRE(reg.join_by_nameplate(4, *n, 11).ok());
  // The new code has its own two attempts (the limit in these tests).
  CHECK_FALSE(reg.pake_failed(1, 12)->burned);
  REQUIRE(reg.join_by_nameplate(5, *n, 13).ok());
  CHECK(reg.pake_failed(1, 14)->burned);
  CHECK(reg.room_failures(c->room) == 4);
}

TEST_CASE("new_code while the old code is still offered replaces it") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  auto n = reg.new_code(1, 0);
  REQUIRE(n.ok());
  CHECK(reg.nameplate_count() == 1);
  CHECK(reg.join_by_nameplate(2, c->nameplate, 0).error().code == "no_such_nameplate");
}

TEST_CASE("new_code is refused to a joiner, after a confirmation and when no nameplate is free") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto c = reg.create(1, 0);
  REQUIRE(reg.join_by_token(2, c->room, c->token, 0).ok());
  CHECK(reg.new_code(2, 0).error().code == "not_creator");
  REQUIRE(reg.pake_confirmed(1, 0).ok());
  CHECK(reg.new_code(1, 0).error().code == "room_confirmed");
  // A random source that always gives the same number: the second room finds nothing free.
  RoomRegistry stuck(limits(), [](uint8_t* out, size_t n) { std::memset(out, 0, n); });
  auto a = stuck.create(1, 0);
  REQUIRE_FALSE(a->nameplate.empty());
  CHECK(stuck.new_code(1, 0).error().code == "no_nameplate");
  CHECK(stuck.nameplate_count() == 1);  // the old code still works
  CHECK(stuck.join_by_nameplate(2, a->nameplate, 0).ok());
}
