// Room lifecycle through the real server: create, join by token and by nameplate, relay, drop,
// rejoin within the grace period, expiry after it, unjoined expiry, hard cap, shutdown.
#include <catch2/catch.hpp>
#include <thread>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

struct Pair {
  proto::Created created;
  proto::Joined joined;
};

Pair make_pair_of(WsClient& a, WsClient& b) {
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  auto joined = std::get<proto::Joined>(must_get(b, "joined"));
  must_get(a, "peer_joined");
  return {created, joined};
}

}  // namespace

TEST_CASE("the server negotiates the ferry.v1 subprotocol and refuses clients without it") {
  Server s;
  REQUIRE(s.started());
  WsClient good(s.port());
  REQUIRE(good.connected());
  CHECK(good.negotiated_subprotocol() == "ferry.v1");
  WsClient none(s.port(), "");
  CHECK_FALSE(none.connected());
  WsClient other(s.port(), "chat.v2");
  CHECK_FALSE(other.connected());
  WsClient wrong_path(s.port(), "ferry.v1", "/socket");
  CHECK_FALSE(wrong_path.connected());
}

TEST_CASE("full room lifecycle: create, join, relay, drop, rejoin within grace, expiry after it") {
  Server s({"--grace", "1"});
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port());
  auto [created, joined] = make_pair_of(a, b);
  CHECK(joined.peer);
  CHECK_FALSE(joined.creator);
  CHECK(joined.room == created.room);
  CHECK(created.ice_servers.empty());  // none configured: the default

  REQUIRE(a.send_text(msg(proto::Relay{"b2ZmZXI"})));
  CHECK(std::get<proto::Relayed>(must_get(b, "relay")).payload == "b2ZmZXI");
  REQUIRE(b.send_text(msg(proto::Relay{"YW5zd2Vy"})));
  CHECK(std::get<proto::Relayed>(must_get(a, "relay")).payload == "YW5zd2Vy");

  // B drops and comes back with its resume token within the grace period.
  b.drop();
  must_get(a, "peer_left");
  WsClient b2(s.port());
  REQUIRE(b2.send_text(msg(proto::Rejoin{created.room, joined.resume})));
  auto rejoined = std::get<proto::Joined>(must_get(b2, "joined"));
  CHECK(rejoined.peer);
  must_get(a, "peer_joined");
  REQUIRE(a.send_text(msg(proto::Relay{"YWdhaW4"})));
  CHECK(std::get<proto::Relayed>(must_get(b2, "relay")).payload == "YWdhaW4");

  // B drops again and stays away past the grace period: its resume token stops working.
  b2.drop();
  must_get(a, "peer_left");
  bool refused = eventually([&] {
    WsClient late(s.port());
    late.send_text(msg(proto::Rejoin{created.room, rejoined.resume}));
    auto ev = late.read();
    return ev.type() == "error" && ev.json()["code"] == "resume_refused";
  });
  CHECK(refused);

  // Both gone: the room is destroyed after the grace period.
  a.drop();
  CHECK(eventually([&] { return metric(s.port(), "ferry_rooms") == 0; }));
  WsClient c(s.port());
  REQUIRE(c.send_text(msg(proto::Rejoin{created.room, created.resume})));
  CHECK(c.expect("error").json()["code"] == "resume_refused");
}

TEST_CASE("join by nameplate, and the nameplate is freed once claimed") {
  Server s;
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port()), c(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  REQUIRE(b.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  auto joined = std::get<proto::Joined>(must_get(b, "joined"));
  CHECK(joined.room == created.room);
  must_get(a, "peer_joined");
  REQUIRE(c.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  CHECK(c.expect("error").json()["code"] == "no_such_nameplate");
}

TEST_CASE("failed PAKE reports evict the joiner and burn the nameplate") {
  Server s({"--max-pake-failures", "2"});
  REQUIRE(s.started());
  WsClient a(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  for (int attempt = 0; attempt < 2; ++attempt) {
    WsClient guesser(s.port());
    REQUIRE(guesser.send_text(msg(proto::JoinByNameplate{created.nameplate})));
    must_get(guesser, "joined");
    must_get(a, "peer_joined");
    REQUIRE(a.send_text(msg(proto::PakeFailed{})));
    CHECK(guesser.wait_close() == 4009);
    must_get(a, "peer_left");
  }
  CHECK(a.expect("error").json()["code"] == "nameplate_burned");
  WsClient late(s.port());
  REQUIRE(late.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  CHECK(late.expect("error").json()["code"] == "no_such_nameplate");
  // The link still works.
  WsClient linked(s.port());
  REQUIRE(linked.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(linked, "joined");
}

TEST_CASE("an unjoined room expires and its creator gets room_expired") {
  Server s({"--unjoined-ttl", "1"});
  REQUIRE(s.started());
  WsClient a(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  CHECK(a.wait_close(3000ms) == 4006);
  WsClient b(s.port());
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  CHECK(b.expect("error").json()["code"] == "join_refused");
}

TEST_CASE("every room ends at the hard cap") {
  Server s({"--room-ttl", "1.5"});
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port());
  make_pair_of(a, b);
  CHECK(a.wait_close(4000ms) == 4006);
  CHECK(b.wait_close(4000ms) == 4006);
}

TEST_CASE("a rejoin on a new connection replaces the stale one") {
  Server s;
  REQUIRE(s.started());
  WsClient a(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  WsClient a2(s.port());
  REQUIRE(a2.send_text(msg(proto::Rejoin{created.room, created.resume})));
  CHECK(std::get<proto::Joined>(must_get(a2, "joined")).creator);
  CHECK(a.wait_close() == 4008);
}

TEST_CASE("SIGTERM closes every peer with the shutdown code and exits cleanly") {
  Server s;
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port());
  make_pair_of(a, b);
  WsClient idle(s.port());
  REQUIRE(idle.connected());
  int status = -2;
  std::thread stopper([&] { status = s.terminate(); });
  CHECK(a.wait_close() == 4000);
  CHECK(b.wait_close() == 4000);
  CHECK(idle.wait_close() == 4000);
  stopper.join();
  CHECK(status == 0);
  CHECK(s.log().find("event=stopped") != std::string::npos);
}

TEST_CASE("logs never contain join tokens, resume tokens or payloads") {
  Server s;
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port());
  auto [created, joined] = make_pair_of(a, b);
  const std::string payload = "U0VDUkVUX1BBWUxPQURfTUFSS0VS";
  REQUIRE(a.send_text(msg(proto::Relay{payload})));
  must_get(b, "relay");
  b.drop();
  must_get(a, "peer_left");
  std::string log = s.log();
  CHECK(log.find("event=room_created") != std::string::npos);
  CHECK(log.find(created.token) == std::string::npos);
  CHECK(log.find(created.resume) == std::string::npos);
  CHECK(log.find(joined.resume) == std::string::npos);
  CHECK(log.find(payload) == std::string::npos);
  CHECK(log.find(created.room) == std::string::npos);  // only a short prefix is logged
}
