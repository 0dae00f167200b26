// A corpus of malformed and hostile inputs sent to the real server. Each one gets a clean error
// (an error envelope with the expected code, or a named close), and the server keeps serving.
#include <catch2/catch.hpp>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

const std::string kRoom = "AAAAAAAAAAAAAAAAAAAA";
const std::string kToken = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

struct Case {
  std::string text;
  std::string code;  // the expected error code
};

// Inputs whose refusal does not depend on any room: each answered by an error envelope.
std::vector<Case> stateless_corpus() {
  std::vector<Case> c = {
      // Not JSON, or not an object.
      {"", "bad_json"},
      {"{", "bad_json"},
      {"}", "bad_json"},
      {"nul", "bad_json"},
      {"{\"v\":1,\"type\":\"create\"", "bad_json"},
      {"{\"v\":1,,\"type\":\"create\"}", "bad_json"},
      {"{'v':1,'type':'create'}", "bad_json"},
      {"{\"v\":1,\"type\":\"create\"}garbage", "bad_json"},
      {"\"create\"", "bad_json"},
      {"[]", "bad_json"},
      {"[{\"v\":1,\"type\":\"create\"}]", "bad_json"},
      {"42", "bad_json"},
      {"null", "bad_json"},
      {"true", "bad_json"},
      {std::string(50000, '['), "too_deep"},
      {std::string(20000, '{'), "too_deep"},
      {"{\"v\":1,\"type\":\"create\",\"v\":1e999}", "bad_json"},
      // Version.
      {"{\"type\":\"create\"}", "missing_field"},
      {"{\"v\":2,\"type\":\"create\"}", "bad_version"},
      {"{\"v\":0,\"type\":\"create\"}", "bad_version"},
      {"{\"v\":\"1\",\"type\":\"create\"}", "bad_version"},
      {"{\"v\":1.5,\"type\":\"create\"}", "bad_version"},
      {"{\"v\":null,\"type\":\"create\"}", "bad_version"},
      {"{\"v\":-1,\"type\":\"create\"}", "bad_version"},
      // Type.
      {"{\"v\":1}", "missing_field"},
      {"{\"v\":1,\"type\":5}", "bad_field"},
      {"{\"v\":1,\"type\":null}", "bad_field"},
      {"{\"v\":1,\"type\":[\"create\"]}", "bad_field"},
      {"{\"v\":1,\"type\":\"\"}", "unknown_type"},
      {"{\"v\":1,\"type\":\"CREATE\"}", "unknown_type"},
      {"{\"v\":1,\"type\":\"created\"}", "unknown_type"},
      {"{\"v\":1,\"type\":\"peer_joined\"}", "unknown_type"},
      {"{\"v\":1,\"type\":\"admin\"}", "unknown_type"},
      {"{\"v\":1,\"type\":\"" + std::string(10000, 'x') + "\"}", "unknown_type"},
      // Unknown fields.
      {"{\"v\":1,\"type\":\"create\",\"room\":\"" + kRoom + "\"}", "unknown_field"},
      {"{\"v\":1,\"type\":\"create\",\"__proto__\":{}}", "unknown_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":\"abc\",\"to\":\"everyone\"}", "unknown_field"},
      // Join: missing and wrong-typed fields, bad lengths and alphabets.
      {"{\"v\":1,\"type\":\"join\"}", "missing_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"" + kRoom + "\"}", "missing_field"},
      {"{\"v\":1,\"type\":\"join\",\"token\":\"" + kToken + "\"}", "missing_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":123,\"token\":\"" + kToken + "\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"" + kRoom + "\",\"token\":true}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"short\",\"token\":\"" + kToken + "\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"" + std::string(60000, 'A') + "\",\"token\":\"" + kToken + "\"}",
       "bad_field"},
      {"{\"v\":1,\"type\":\"create\",\"pad\":\"" + std::string(100000, 'A') + "\"}", "too_large"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"AAAAAAAAAAAAAAAAAAA/\",\"token\":\"" + kToken + "\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"AAAAAAAAAAAAAAAAAA\\u0000A\",\"token\":\"" + kToken + "\"}",
       "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"room\":\"" + kRoom + "\",\"token\":\"" + kToken + "=\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":7}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":\"0\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":\"-1\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":\"1234567\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":\"7-orbit-velvet\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"join\",\"nameplate\":\"7\",\"token\":\"" + kToken + "\"}", "unknown_field"},
      // Rejoin.
      {"{\"v\":1,\"type\":\"rejoin\",\"room\":\"" + kRoom + "\"}", "missing_field"},
      {"{\"v\":1,\"type\":\"rejoin\",\"room\":\"" + kRoom + "\",\"resume\":{}}", "bad_field"},
      // Relay payloads.
      {"{\"v\":1,\"type\":\"relay\"}", "missing_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":\"\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":\"not base64!\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":\"YWJj==\"}", "bad_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":[1,2,3]}", "bad_field"},
      {"{\"v\":1,\"type\":\"relay\",\"payload\":\"" + std::string(proto::kMaxPayloadChars + 1, 'A') + "\"}",
       "bad_field"},
      // Well-formed but out of place: no room yet.
      {msg(proto::Relay{"aGVsbG8"}), "not_in_room"},
      {msg(proto::PakeFailed{}), "not_in_room"},
      // Wrong credentials for rooms that do not exist.
      {msg(proto::JoinByToken{kRoom, kToken}), "join_refused"},
      {msg(proto::Rejoin{kRoom, kToken}), "resume_refused"},
      {msg(proto::JoinByNameplate{"999999"}), "no_such_nameplate"},
  };
  return c;
}

}  // namespace

TEST_CASE("a corpus of malformed inputs each gets a clean error and the server keeps serving") {
  Server s({"--max-bad-messages", "10000", "--join-burst", "10000", "--msg-burst", "10000", "--max-message", "200000"});
  REQUIRE(s.started());
  auto corpus = stateless_corpus();
  REQUIRE(corpus.size() >= 50);
  WsClient c(s.port());
  REQUIRE(c.connected());
  for (size_t i = 0; i < corpus.size(); ++i) {
    INFO("case " << i << ": " << corpus[i].text.substr(0, 80));
    REQUIRE(c.send_text(corpus[i].text));
    auto ev = c.read();
    REQUIRE(ev.kind == WsClient::Event::Kind::kMessage);
    auto m = proto::parse_server_message(ev.text);
    REQUIRE(m.ok());  // even errors are valid envelopes
    auto* e = std::get_if<proto::ErrorMessage>(&*m);
    REQUIRE(e != nullptr);
    CHECK(e->code == corpus[i].code);
  }
  // The same connection, and a new one, still work.
  REQUIRE(c.send_text(msg(proto::Create{})));
  CHECK(c.expect("created").kind == WsClient::Event::Kind::kMessage);
  CHECK(http_request(s.port(), "/healthz").status == 200);
  CHECK(s.alive());
}

TEST_CASE("room-dependent refusals: wrong token, full room, expired room, double create, wrong role") {
  Server s({"--unjoined-ttl", "1"});
  REQUIRE(s.started());
  WsClient a(s.port()), b(s.port());
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(*proto::parse_server_message(a.expect("created").text));
  auto error_code = [&](WsClient& c, const std::string& text) {
    c.send_text(text);
    auto ev = c.expect("error");
    return ev.kind == WsClient::Event::Kind::kMessage ? ev.json()["code"].get<std::string>() : std::string("none");
  };
  // Relay with nobody else in the room; a second create on the same connection.
  CHECK(error_code(a, msg(proto::Relay{"aGk"})) == "no_peer");
  CHECK(error_code(a, msg(proto::Create{})) == "already_in_room");
  // A wrong token (one character changed) and a wrong resume token.
  std::string wrong = created.token;
  wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
  CHECK(error_code(b, msg(proto::JoinByToken{created.room, wrong})) == "join_refused");
  CHECK(error_code(b, msg(proto::Rejoin{created.room, wrong})) == "resume_refused");
  // The real join, then a third peer: the room is full.
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  REQUIRE(b.expect("joined").kind == WsClient::Event::Kind::kMessage);
  WsClient third(s.port());
  CHECK(error_code(third, msg(proto::JoinByToken{created.room, created.token})) == "room_full");
  CHECK(error_code(b, msg(proto::PakeFailed{})) == "not_creator");
  CHECK(error_code(b, msg(proto::JoinByToken{created.room, created.token})) == "already_in_room");
  // An expired room: create, let it expire, then join it.
  WsClient lonely(s.port());
  REQUIRE(lonely.send_text(msg(proto::Create{})));
  auto gone = std::get<proto::Created>(*proto::parse_server_message(lonely.expect("created").text));
  CHECK(lonely.wait_close(3000ms) == 4006);
  WsClient late(s.port());
  CHECK(error_code(late, msg(proto::JoinByToken{gone.room, gone.token})) == "join_refused");
  CHECK(error_code(late, msg(proto::JoinByNameplate{gone.nameplate})) == "no_such_nameplate");
  // The paired room was not affected by any of it.
  REQUIRE(a.send_text(msg(proto::Relay{"b2s"})));
  CHECK(b.expect("relay").json()["payload"] == "b2s");
}

TEST_CASE("hostile connections are closed cleanly and the server keeps serving") {
  Server s({"--max-message", "4096", "--max-bad-messages", "5"});
  REQUIRE(s.started());
  SECTION("a huge frame above the hard limit") {
    WsClient c(s.port());
    bool sent = c.send_text(std::string(1 << 20, 'A'));
    auto ev = c.read();
    INFO("sent " << sent << " kind " << static_cast<int>(ev.kind) << " code " << ev.close_code << " " << ev.error);
    // Refused while it is read, with a closing handshake: the client gets the close frame.
    CHECK(ev.kind == WsClient::Event::Kind::kClosed);
    CHECK(ev.close_code == 4001);
  }
  SECTION("invalid UTF-8 in a text frame") {
    WsClient c(s.port());
    c.send_text("\xff\xfe\xfd");
    CHECK(c.wait_close() == 1007);  // RFC 6455: invalid frame payload data
  }
  SECTION("a stream of garbage hits the malformed-message limit") {
    WsClient c(s.port());
    for (int i = 0; i < 5; ++i) c.send_text("garbage");
    CHECK(c.wait_close() == 4007);
  }
  SECTION("binary junk") {
    WsClient c(s.port());
    c.send_binary(std::string(1000, '\0'));
    CHECK(c.wait_close() == 4007);
  }
  SECTION("a client that vanishes mid-room") {
    WsClient a(s.port()), b(s.port());
    a.send_text(msg(proto::Create{}));
    auto created = std::get<proto::Created>(*proto::parse_server_message(a.expect("created").text));
    b.send_text(msg(proto::JoinByToken{created.room, created.token}));
    b.expect("joined");
    b.drop();
    CHECK(a.expect("peer_left").kind == WsClient::Event::Kind::kMessage);
  }
  SECTION("raw HTTP garbage on the port") {
    auto res = http_request(s.port(), "/%%%%");
    CHECK(res.status == 400);
    auto long_target = http_request(s.port(), "/" + std::string(20000, 'a'));
    CHECK(long_target.status != 200);
  }
  WsClient after(s.port());
  REQUIRE(after.send_text(msg(proto::Create{})));
  CHECK(after.expect("created").kind == WsClient::Event::Kind::kMessage);
  CHECK(http_request(s.port(), "/healthz").status == 200);
}
