// Every limit through the real server, each with its named close code, while a neighbouring
// room keeps working.
#include <catch2/catch.hpp>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

TEST_CASE("a message above --max-message closes with 4001") {
  Server s({"--max-message", "4096"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient c(s.port());
  REQUIRE(c.send_text(std::string(5000, 'x')));
  CHECK(c.wait_close() == 4001);
  CHECK(n.still_working());
  CHECK(eventually([&] { return http_request(s.port(), "/metrics").body.find("reason=\"message_too_big\"} 1") != std::string::npos; }));
}

TEST_CASE("a message flood closes with 4002") {
  Server s({"--msg-rate", "2", "--msg-burst", "10"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient a(s.port()), b(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(*proto::parse_server_message(a.expect("created").text));
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  REQUIRE(b.expect("joined").kind == WsClient::Event::Kind::kMessage);
  for (int i = 0; i < 30; ++i) a.send_text(msg(proto::Relay{"Zmxvb2Q"}));
  CHECK(a.wait_close() == 4002);
  CHECK(b.expect("peer_left").kind == WsClient::Event::Kind::kMessage);
  CHECK(n.still_working());
}

TEST_CASE("connections per IP above the limit close with 4003") {
  Server s({"--max-conns-per-ip", "3"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient third(s.port());
  REQUIRE(third.connected());
  WsClient fourth(s.port());
  CHECK(fourth.wait_close() == 4003);
  CHECK(n.still_working());
}

TEST_CASE("joins per IP above the token bucket close with 4004") {
  Server s({"--join-burst", "4", "--join-rate", "0.01"});
  REQUIRE(s.started());
  Neighbours n(s.port());  // uses two of the four tokens
  WsClient c1(s.port()), c2(s.port()), c3(s.port());
  REQUIRE(c1.send_text(msg(proto::Create{})));
  CHECK(c1.expect("created").kind == WsClient::Event::Kind::kMessage);
  REQUIRE(c2.send_text(msg(proto::Create{})));
  CHECK(c2.expect("created").kind == WsClient::Event::Kind::kMessage);
  REQUIRE(c3.send_text(msg(proto::Create{})));
  CHECK(c3.wait_close() == 4004);
  CHECK(n.still_working());
}

TEST_CASE("connections above --max-connections close with 4005") {
  Server s({"--max-connections", "3"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient third(s.port());
  REQUIRE(third.connected());
  WsClient fourth(s.port());
  CHECK(fourth.wait_close() == 4005);
  CHECK(n.still_working());
  // A freed slot is usable again.
  third.drop();
  CHECK(eventually([&] {
    WsClient again(s.port());
    again.send_text(msg(proto::Create{}));
    return again.read().type() == "created";
  }));
}

TEST_CASE("a binary frame closes with 4007 after an error message when the relay is off") {
  Server s({"--relay-rate", "0"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  WsClient c(s.port());
  REQUIRE(c.send_binary(std::string("\x00\x01\x02", 3)));
  CHECK(c.expect("error").json()["code"] == "binary_frame");
  CHECK(c.wait_close() == 4007);
  CHECK(n.still_working());
}

TEST_CASE("a connection that never answers pings is closed after the idle timeout") {
  Server s({"--idle-timeout", "1"});
  REQUIRE(s.started());
  WsClient silent(s.port());
  REQUIRE(silent.connected());
  // Not reading means not answering the server's pings; the server gives up within ~1 s.
  CHECK(eventually([&] { return metric(s.port(), "ferry_connections") == 0; }, 4000ms));
  auto ev = silent.read(2000ms);
  CHECK(ev.kind != WsClient::Event::Kind::kMessage);
}

TEST_CASE("a client that answers pings stays connected past the idle timeout") {
  Server s({"--idle-timeout", "2"});
  REQUIRE(s.started());
  WsClient live(s.port());
  REQUIRE(live.connected());
  // Reading answers pings; nothing else arrives, so the read times out with the peer still open.
  auto ev = live.read(4500ms);
  CHECK(ev.kind == WsClient::Event::Kind::kTimeout);
  CHECK(metric(s.port(), "ferry_connections") == 1);
}
