// Tests of the ferry.v1 signalling envelopes: every message type round-trips, and malformed
// envelopes are refused with the code that names the problem.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/signal.h"

using namespace ferry::protocol;

namespace {

const std::string kRoom = "AAAAAAAAAAAAAAAAAAAA";              // 20 base64url characters
const std::string kToken = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";  // 32 base64url characters

std::string client_error(const std::string& text) {
  auto r = parse_client_message(text);
  return r ? std::string("ok") : r.error().code;
}
std::string server_error(const std::string& text) {
  auto r = parse_server_message(text);
  return r ? std::string("ok") : r.error().code;
}

}  // namespace

TEST_CASE("every client message survives a round trip") {
  std::vector<ClientMessage> all = {Create{}, JoinByToken{kRoom, kToken}, JoinByNameplate{"42"},
                                    Rejoin{kRoom, kToken}, Relay{"c2VhbGVk-_"}, PakeFailed{},
                                    PakeConfirmed{}, RejectPeer{}, NewCode{}};
  for (const auto& m : all) {
    auto text = serialize(m);
    auto back = parse_client_message(text);
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("every server message survives a round trip") {
  std::vector<IceServer> ice = {{{"stun:stun.example.org:3478"}, "", ""},
                                {{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"},
                                 "1700000000:abc",
                                 "Or2+y4pClBAA8mU3e93KEtAPsJs="}};
  std::vector<ServerMessage> all = {Created{kRoom, kToken, "7", 1700000000, kToken, ice},
                                    Created{kRoom, kToken, "7", 1700000000, kToken, {}, 4194304},
                                    Joined{kRoom, kToken, 1700000000, false, true, {}},
                                    Joined{kRoom, kToken, 1700000000, true, false, ice, 1},
                                    PeerJoined{},
                                    PeerLeft{},
                                    Relayed{"abc"},
                                    ErrorMessage{"room_full", "this room already has two peers"},
                                    NewNameplate{"815"}};
  for (const auto& m : all) {
    auto text = serialize(m);
    auto back = parse_server_message(text);
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("envelopes carry the version and type") {
  CHECK(serialize(ClientMessage{Create{}}) == R"({"type":"create","v":1})");
  CHECK(client_error(R"({"type":"create","v":1})") == "ok");
}

TEST_CASE("text that is not a JSON object is refused as bad_json") {
  for (const char* text : {"", "{", "nul", "[]", "\"create\"", "42", "{\"v\":1,}", "{'v':1}", "\xff\xfe"}) {
    CHECK(client_error(text) == "bad_json");
  }
}

TEST_CASE("a wrong or missing version is refused") {
  CHECK(client_error(R"({"type":"create"})") == "missing_field");
  CHECK(client_error(R"({"v":2,"type":"create"})") == "bad_version");
  CHECK(client_error(R"({"v":"1","type":"create"})") == "bad_version");
  CHECK(client_error(R"({"v":1.0,"type":"create"})") == "bad_version");
}

TEST_CASE("unknown message types are refused") {
  CHECK(client_error(R"({"v":1,"type":"destroy"})") == "unknown_type");
  CHECK(client_error(R"({"v":1,"type":"created"})") == "unknown_type");  // a server type from a client
  CHECK(client_error(R"({"v":1,"type":7})") == "bad_field");
  CHECK(server_error(R"({"v":1,"type":"create"})") == "unknown_type");
}

TEST_CASE("unknown fields are refused") {
  CHECK(client_error(R"({"v":1,"type":"create","room":"x"})") == "unknown_field");
  CHECK(client_error(R"({"v":1,"type":"join","nameplate":"7","room":")" + kRoom + "\"}") == "unknown_field");
}

TEST_CASE("join fields are checked for length and alphabet") {
  auto join = [](const std::string& room, const std::string& token) {
    return R"({"v":1,"type":"join","room":")" + room + R"(","token":")" + token + "\"}";
  };
  CHECK(client_error(join(kRoom, kToken)) == "ok");
  CHECK(client_error(join(kRoom.substr(1), kToken)) == "bad_field");
  CHECK(client_error(join(kRoom, kToken + "B")) == "bad_field");
  CHECK(client_error(join("AAAAAAAAAAAAAAAAAAA=", kToken)) == "bad_field");
  CHECK(client_error(join("AAAAAAAAAA AAAAAAAAA", kToken)) == "bad_field");
  CHECK(client_error(R"({"v":1,"type":"join","room":")" + kRoom + "\"}") == "missing_field");
  CHECK(client_error(R"({"v":1,"type":"join","room":5,"token":")" + kToken + "\"}") == "bad_field");
}

TEST_CASE("nameplates are 1 to 6 digits without a leading zero") {
  auto np = [](const std::string& n) { return client_error(R"({"v":1,"type":"join","nameplate":")" + n + "\"}"); };
  CHECK(np("1") == "ok");
  CHECK(np("999999") == "ok");
  CHECK(np("0") == "bad_field");
  CHECK(np("012") == "bad_field");
  CHECK(np("1234567") == "bad_field");
  CHECK(np("12a") == "bad_field");
  CHECK(np("") == "bad_field");
  CHECK(client_error(R"({"v":1,"type":"join","nameplate":7})") == "bad_field");
}

TEST_CASE("relay payloads must be non-empty base64url within the size limit") {
  auto relay = [](const std::string& p) { return client_error(R"({"v":1,"type":"relay","payload":")" + p + "\"}"); };
  CHECK(relay("abc-_") == "ok");
  CHECK(relay("") == "bad_field");
  CHECK(relay("ab+/") == "bad_field");
  CHECK(relay("ab==") == "bad_field");
  CHECK(relay(std::string(kMaxPayloadChars, 'A')) == "ok");
  CHECK(relay(std::string(kMaxPayloadChars + 1, 'A')) == "bad_field");
  CHECK(client_error(R"({"v":1,"type":"relay","payload":{"a":1}})") == "bad_field");
  CHECK(client_error(R"({"v":1,"type":"relay"})") == "missing_field");
}

TEST_CASE("an envelope above the size limit is refused before parsing") {
  std::string big = R"({"v":1,"type":"relay","payload":")" + std::string(kMaxEnvelopeBytes, 'A') + "\"}";
  CHECK(client_error(big) == "too_large");
}

TEST_CASE("deep nesting is refused without crashing") {
  std::string deep(10000, '[');
  CHECK(client_error(deep) == "too_deep");
  std::string balanced = std::string(5000, '[') + std::string(5000, ']');
  CHECK(client_error(balanced) == "too_deep");
}

TEST_CASE("an envelope nesting 10000 levels inside a field is refused as too_deep") {
  const std::string nest = std::string(10000, '[') + std::string(10000, ']');
  CHECK(client_error(R"({"v":1,"type":"create","x":)" + nest + "}") == "too_deep");
  CHECK(server_error(R"({"v":1,"type":"created","ice_servers":)" + nest + "}") == "too_deep");
  // Brackets inside strings are text, not nesting.
  CHECK(client_error(R"({"v":1,"type":"relay","payload":")" + std::string(100, '[') + "\"}") == "bad_field");
}

TEST_CASE("server messages are checked field by field") {
  CHECK(server_error(R"({"v":1,"type":"error","code":"Room Full","message":"x"})") == "bad_field");
  CHECK(server_error(R"({"v":1,"type":"error","code":"room_full","message":")" + std::string(600, 'x') + "\"}") ==
        "bad_field");
  std::string joined = R"({"v":1,"type":"joined","room":")" + kRoom + R"(","resume":")" + kToken +
                       R"(","expires":-5,"creator":false,"peer":true,"ice_servers":[]})";
  CHECK(server_error(joined) == "bad_field");
  std::string bad_ice = R"({"v":1,"type":"joined","room":")" + kRoom + R"(","resume":")" + kToken +
                        R"(","expires":5,"creator":false,"peer":true,"ice_servers":[{"urls":["http://x"]}]})";
  CHECK(server_error(bad_ice) == "bad_field");
  std::string ice_extra = R"({"v":1,"type":"joined","room":")" + kRoom + R"(","resume":")" + kToken +
                          R"(","expires":5,"creator":false,"peer":true,"ice_servers":[{"urls":["stun:x"],"x":1}]})";
  CHECK(server_error(ice_extra) == "unknown_field");
  std::string peer_str = R"({"v":1,"type":"joined","room":")" + kRoom + R"(","resume":")" + kToken +
                         R"(","expires":5,"creator":false,"peer":"yes","ice_servers":[]})";
  CHECK(server_error(peer_str) == "bad_field");
}

TEST_CASE("serializing invalid UTF-8 does not throw") {
  ServerMessage m = ErrorMessage{"x", std::string("\xff\xfe bad")};
  std::string text;
  REQUIRE_NOTHROW(text = serialize(m));
  CHECK_FALSE(text.empty());
}

TEST_CASE("type names match the wire") {
  CHECK(type_name(ClientMessage{JoinByNameplate{"3"}}) == "join");
  CHECK(type_name(ServerMessage{Relayed{"a"}}) == "relay");
  CHECK(type_name(ServerMessage{ErrorMessage{}}) == "error");
}

TEST_CASE("the relay fast path writes the same bytes as the JSON writer") {
  // The JSON writer orders keys alphabetically; the fast path must match it exactly.
  std::string payload = "abc-_09";
  std::string fast = serialize(ServerMessage{Relayed{payload}});
  CHECK(fast == R"({"payload":"abc-_09","type":"relay","v":1})");
  auto back = parse_server_message(fast);
  REQUIRE(back.ok());
  CHECK(std::get<Relayed>(*back).payload == payload);
}

TEST_CASE("created and joined always carry relay_rate") {
  auto created = serialize(ServerMessage{Created{kRoom, kToken, "7", 5, kToken, {}, 1000000}});
  CHECK(created.find(R"("relay_rate":1000000)") != std::string::npos);
  auto joined = serialize(ServerMessage{Joined{kRoom, kToken, 5, false, true, {}}});
  CHECK(joined.find(R"("relay_rate":0)") != std::string::npos);  // written even when the relay is off
}

TEST_CASE("created may carry no short code (the room works by link), but never a bad one") {
  auto created = [](const std::string& nameplate) {
    return R"({"v":1,"type":"created","room":")" + kRoom + R"(","token":")" + kToken + R"(","nameplate":")" +
           nameplate + R"(","expires":5,"resume":")" + kToken + R"(","ice_servers":[]})";
  };
  auto none = parse_server_message(created(""));
  REQUIRE(none.ok());
  CHECK(std::get<Created>(*none).nameplate.empty());
  CHECK(std::get<Created>(*parse_server_message(created("42"))).nameplate == "42");
  for (const char* bad : {"0", "042", "1234567", "x1", " 1"}) CHECK(server_error(created(bad)) == "bad_field");
}

TEST_CASE("relay_rate may be missing but never negative or fractional") {
  auto joined = [](const std::string& rate) {
    return R"({"v":1,"type":"joined","room":")" + kRoom + R"(","resume":")" + kToken +
           R"(","expires":5,"creator":false,"peer":true,"ice_servers":[])" + rate + "}";
  };
  auto created = [](const std::string& rate) {
    return R"({"v":1,"type":"created","room":")" + kRoom + R"(","token":")" + kToken +
           R"(","nameplate":"7","expires":5,"resume":")" + kToken + R"(","ice_servers":[])" + rate + "}";
  };
  for (auto make : {+joined, +created}) {
    auto missing = parse_server_message(make(""));
    REQUIRE(missing.ok());
    auto rate = [](const ServerMessage& m) {
      if (const auto* c = std::get_if<Created>(&m)) return c->relay_rate;
      return std::get<Joined>(m).relay_rate;
    };
    CHECK(rate(*missing) == 0);
    auto set = parse_server_message(make(R"(,"relay_rate":4194304)"));
    REQUIRE(set.ok());
    CHECK(rate(*set) == 4194304);
    CHECK(server_error(make(R"(,"relay_rate":0)")) == "ok");
    CHECK(server_error(make(R"(,"relay_rate":-1)")) == "bad_field");
    CHECK(server_error(make(R"(,"relay_rate":1.5)")) == "bad_field");
    CHECK(server_error(make(R"(,"relay_rate":1e6)")) == "bad_field");
    CHECK(server_error(make(R"(,"relay_rate":"1000")")) == "bad_field");
    CHECK(server_error(make(R"(,"relay_rate":null)")) == "bad_field");
    CHECK(server_error(make(R"(,"relay_rate":18446744073709551615)")) == "bad_field");
  }
}

TEST_CASE("a relay in the writer's exact bytes parses without the JSON parser, to the same message") {
  // The fast path takes only serialize()'s bytes; every other spelling goes through the JSON
  // parser, and both give the same answer.
  std::string payload = "c2VhbGVk-_09";
  std::string canonical = relay_envelope(payload);
  CHECK(canonical == serialize(ClientMessage{Relay{payload}}));
  CHECK(canonical == serialize(ServerMessage{Relayed{payload}}));
  auto client = parse_client_message(canonical);
  REQUIRE(client.ok());
  CHECK(std::get<Relay>(*client).payload == payload);
  auto server = parse_server_message(canonical);
  REQUIRE(server.ok());
  CHECK(std::get<Relayed>(*server).payload == payload);
  auto reordered = parse_client_message(R"({"v":1,"type":"relay","payload":")" + payload + "\"}");
  REQUIRE(reordered.ok());
  CHECK(std::get<Relay>(*reordered).payload == payload);
}

TEST_CASE("lookalikes of the relay fast path are judged by the full parser") {
  // Each has the fast path's head and tail, but is not a valid relay (or not one payload).
  CHECK(client_error(R"({"payload":"","type":"relay","v":1})") == "bad_field");
  CHECK(client_error(R"({"payload":"a+b","type":"relay","v":1})") == "bad_field");
  auto twice = parse_client_message(R"({"payload":"a","payload":"b","type":"relay","v":1})");
  REQUIRE(twice.ok());
  CHECK(std::get<Relay>(*twice).payload == "b");  // the JSON parser's rule (the last one), not "a\",\"payload..."
  CHECK(client_error(R"({"payload":"a","x":"b","type":"relay","v":1})") == "unknown_field");
  CHECK(client_error(R"({"payload":"a\u0041","type":"relay","v":1})") == "ok");  // an escape: valid JSON
  CHECK(client_error(R"({"payload":")" + std::string(kMaxPayloadChars + 1, 'A') + R"(","type":"relay","v":1})") ==
        "bad_field");
  CHECK(client_error(R"({"payload":")" + std::string(kMaxPayloadChars, 'A') + R"(","type":"relay","v":1})") == "ok");
}
