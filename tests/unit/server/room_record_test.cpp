// --redis: a room's record (RoomRegistry::export_room / import_room) and the change tracking the
// instances use to keep Redis current: a room taken over from a dead instance keeps its secrets,
// seats and counters, and nothing else.
#include <catch2/catch.hpp>
#include <tuple>

#include "room_registry.h"
#include "session/ids.h"
#include "test_support.h"

using namespace ferry::server;

namespace {

// The defaults but for short times (the failure limits are the defaults: 3 per code, 10 a room).
RoomLimits limits() {
  RoomLimits l;
  std::tie(l.unjoined_ttl_ms, l.hard_cap_ms, l.grace_ms) = std::tuple(10'000, 100'000, 5'000);
  return l;
}

}  // namespace

TEST_CASE("a room taken over from its record lets both seats rejoin with their resume tokens, and nobody else") {
  RoomRegistry first(limits(), testing::counting_random());
  auto c = first.create(1, 0);
  auto j = first.join_by_token(2, c->room, c->token, 100);
  REQUIRE(first.pake_confirmed(1, 200).ok());
  auto record = first.export_room(c->room, 1'000);
  REQUIRE(record);
  CHECK(record->age_ms == 1'000);

  RoomRegistry second(limits(), testing::counting_random());
  REQUIRE(second.import_room(*record, 50'000).ok());
  CHECK(second.has_room(c->room));
  CHECK(second.peer_count() == 0);  // their connections died with the first instance
  auto a = second.rejoin(7, c->room, c->resume, 50'010);
  REQUIRE(a.ok());
  CHECK(a->creator);
  auto b = second.rejoin(8, c->room, j->resume, 50'020);
  REQUIRE(b.ok());
  CHECK_FALSE(b->creator);
  CHECK(b->other == std::optional<PeerId>(7));
  // The token joins nobody new (the seat is confirmed), a made-up resume token gets nowhere.
  CHECK(second.join_by_token(9, c->room, c->token, 50'030).error().code == "room_full");
  CHECK(second.rejoin(10, c->room, c->token, 50'040).error().code == "resume_refused");
  // The hard cap counts from the first create, not from the takeover.
  CHECK(a->expires_ms == 50'000 - 1'000 + 100'000);
  CHECK(second.import_room(*record, 50'000).error().code == "room_exists");
}

TEST_CASE("a taken-over room keeps its failure counters and code, and its seats' grace starts at the takeover") {
  RoomRegistry first(limits(), testing::counting_random());
  auto c = first.create(1, 0);
  auto n = ferry::session::parse_nameplate(c->nameplate);
  REQUIRE(n);
  REQUIRE(first.join_by_nameplate(2, c->nameplate, 10).ok());
  REQUIRE(first.pake_failed(1, 20).ok());  // one guess counted; the code is offered again
  auto record = first.export_room(c->room, 30);
  REQUIRE(record);
  CHECK(record->code_failures == 1);
  CHECK(record->nameplate == std::optional<uint32_t>(*n));

  RoomRegistry second(limits(), testing::counting_random());
  REQUIRE(second.import_room(*record, 1'000).ok());
  CHECK(second.room_failures(c->room) == 1);
  CHECK(second.has_nameplate(*n));
  // Two more failed guesses burn the code: the budget is the room's, wherever it runs.
  REQUIRE(second.rejoin(5, c->room, c->resume, 1'010).ok());
  for (int i = 0; i < 2; ++i) {
    REQUIRE(second.join_by_nameplate(6 + i, c->nameplate, 1'020).ok());
    auto f = second.pake_failed(5, 1'030);
    REQUIRE(f.ok());
    CHECK(f->burned == (i == 1));
  }
  CHECK_FALSE(second.has_nameplate(*n));
  // The creator leaves again: a room whose every seat is away past the grace ends, as anywhere.
  second.disconnect(5, 2'000);
  CHECK(second.sweep(2'000 + 5'000 - 1).empty());
  second.sweep(2'000 + 5'000);
  CHECK_FALSE(second.has_room(c->room));
}

TEST_CASE("change tracking notes each changed or destroyed room once, and nothing before track_changes") {
  RoomRegistry reg(limits(), testing::counting_random());
  auto before = reg.create(1, 0);
  CHECK(reg.take_changed().empty());
  reg.track_changes();
  auto c = reg.create(2, 0);
  REQUIRE(reg.join_by_token(3, c->room, c->token, 10).ok());
  auto changed = reg.take_changed();
  CHECK(changed == std::vector<std::string>{c->room});
  CHECK(reg.take_changed().empty());
  CHECK(reg.relay_target(3).ok());  // a relay changes nothing
  CHECK(reg.take_changed().empty());
  reg.sweep(10'000);  // the unjoined room expires
  CHECK(reg.take_changed() == std::vector<std::string>{before->room});
  CHECK_FALSE(reg.export_room(before->room, 10'000));
}

TEST_CASE("a dropped code leads nobody into the room, and the link still does") {
  RoomRegistry reg(limits(), testing::counting_random());
  reg.track_changes();
  auto c = reg.create(1, 0);
  reg.take_changed();
  reg.drop_nameplate(c->room);
  CHECK(reg.take_changed() == std::vector<std::string>{c->room});
  CHECK(reg.nameplate_count() == 0);
  CHECK(reg.join_by_nameplate(2, c->nameplate, 10).error().code == "no_such_nameplate");
  CHECK(reg.join_by_token(3, c->room, c->token, 20).ok());
  CHECK_FALSE(reg.export_room(c->room, 30)->nameplate);
}
