// Join links: formatting, and strict parsing of every part.
#include "session/link.h"

#include <catch2/catch.hpp>

#include "test_rng.h"

using namespace ferry;
using namespace ferry::session;

namespace {
const std::string kRoom = "AAECAwQFBgcICQoLDA0O";
const std::string kToken = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
const std::string kSecret = "AAECAwQFBgcICQoLDA0ODw";

std::string link_for(const std::string& origin) {
  return origin + "/j/" + kRoom + "?t=" + kToken + "#" + kSecret;
}

std::string code_of(std::string_view text) {
  auto r = parse_link(text);
  return r.ok() ? std::string("ok") : r.error().code;
}
}  // namespace

TEST_CASE("link formats and parses back to the same parts") {
  auto rng = default_random();
  const auto room = RoomId::generate(rng);
  const auto token = JoinToken::generate(rng);
  const auto secret = LinkSecret::generate(rng);
  const std::string text = format_link("https://ferry.example", room, token, secret);
  CHECK(text == "https://ferry.example/j/" + room.str() + "?t=" + token.str() + "#" + secret.str());
  auto link = parse_link(text);
  REQUIRE(link.ok());
  CHECK(link->origin == "https://ferry.example");
  CHECK(link->room == room);
  CHECK(link->token.str() == token.str());
  REQUIRE(link->secret);
  CHECK(link->secret->bytes() == secret.bytes());
  CHECK_FALSE(link->needs_password());
}

TEST_CASE("link origins with ports, ipv6 and local http are accepted and normalised") {
  const std::pair<std::string, std::string> cases[] = {
      {"https://Ferry.Example:8443", "https://ferry.example:8443"},
      {"HTTPS://ferry.example:443", "https://ferry.example"},
      {"http://localhost:8080", "http://localhost:8080"},
      {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"http://192.168.1.20", "http://192.168.1.20"},
      {"http://10.231.0.1:80", "http://10.231.0.1"},
      {"http://172.20.0.5", "http://172.20.0.5"},
      {"http://[::1]:8080", "http://[::1]:8080"},
      {"http://[FD00::5]", "http://[fd00::5]"},
      {"https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"},
      {"http://nas.local", "http://nas.local"},
      {"http://ferrybox", "http://ferrybox"},
  };
  for (const auto& [origin, normalised] : cases) {
    INFO(origin);
    auto link = parse_link(link_for(origin));
    REQUIRE(link.ok());
    CHECK(link->origin == normalised);
  }
}

TEST_CASE("surrounding whitespace around a pasted link is ignored") {
  CHECK(code_of("  " + link_for("https://a.example") + "\n") == "ok");
}

TEST_CASE("plain http to a public host is rejected as insecure") {
  CHECK(code_of(link_for("http://ferry.example")) == "insecure_link");
  CHECK(code_of(link_for("http://8.8.8.8")) == "insecure_link");
  CHECK(code_of(link_for("http://172.32.0.1")) == "insecure_link");
  CHECK(code_of(link_for("http://[2001:db8::1]")) == "insecure_link");
}

TEST_CASE("link without its secret fragment is rejected") {
  const std::string full = link_for("https://a.example");
  CHECK(code_of(full.substr(0, full.find('#'))) == "missing_secret");
  CHECK(code_of(full.substr(0, full.find('#') + 1)) == "missing_secret");
}

TEST_CASE("link without its join token is rejected") {
  CHECK(code_of("https://a.example/j/" + kRoom + "#" + kSecret) == "missing_join_token");
}

TEST_CASE("link parts with wrong lengths or alphabets are rejected by their own parser") {
  CHECK(code_of("https://a.example/j/" + kRoom + "x?t=" + kToken + "#" + kSecret) == "bad_room_id");
  CHECK(code_of("https://a.example/j/" + kRoom + "?t=" + kToken.substr(1) + "#" + kSecret) ==
        "bad_join_token");
  CHECK(code_of("https://a.example/j/" + kRoom + "?t=" + kToken + "#" + kSecret + "A") ==
        "bad_link_secret");
  CHECK(code_of("https://a.example/j/" + kRoom + "?t=" + kToken + "#" + kSecret + "#x") ==
        "bad_link_secret");
  CHECK(code_of("https://a.example/j/?t=" + kToken + "#" + kSecret) == "bad_room_id");
}

TEST_CASE("link with extra or unexpected parts is rejected") {
  const std::string tail = "?t=" + kToken + "#" + kSecret;
  CHECK(code_of("https://a.example/x/" + kRoom + tail) == "bad_link");
  CHECK(code_of("https://a.example/j/" + kRoom + "/more" + tail) == "bad_link");
  CHECK(code_of("https://a.example/app/j/" + kRoom + tail) == "bad_link");
  CHECK(code_of("https://a.example/j/" + kRoom + "?t=" + kToken + "&x=1#" + kSecret) == "bad_link");
  CHECK(code_of("https://a.example/j/" + kRoom + "?x=" + kToken + "#" + kSecret) == "bad_link");
  CHECK(code_of("https://user@a.example/j/" + kRoom + tail) == "bad_link");
  CHECK(code_of("https://a.example" + tail) == "bad_link");
  CHECK(code_of("https://a.example") == "bad_link");
}

TEST_CASE("link with a bad scheme, host or port is rejected") {
  const std::string rest = "/j/" + kRoom + "?t=" + kToken + "#" + kSecret;
  CHECK(code_of("ftp://a.example" + rest) == "bad_link");
  CHECK(code_of("a.example" + rest) == "bad_link");
  CHECK(code_of("https://" + rest) == "bad_link");
  CHECK(code_of("https://a..example" + rest) == "bad_link");
  CHECK(code_of("https://-a.example" + rest) == "bad_link");
  CHECK(code_of("https://a_b.example" + rest) == "bad_link");
  CHECK(code_of("https://a.example:0" + rest) == "bad_link");
  CHECK(code_of("https://a.example:65536" + rest) == "bad_link");
  CHECK(code_of("https://a.example:" + rest) == "bad_link");
  CHECK(code_of("https://a.example:8x" + rest) == "bad_link");
  CHECK(code_of("https://[::1" + rest) == "bad_link");
  CHECK(code_of("https://[::g]" + rest) == "bad_link");
  CHECK(code_of("https://[::1]x" + rest) == "bad_link");
  CHECK(code_of("https://a.example " + rest) == "bad_link");
  CHECK(code_of("") == "bad_link");
  CHECK(code_of(std::string(600, 'a')) == "bad_link");
}

TEST_CASE("the link's secret never reaches the part sent to the server") {
  // What a browser requests is everything before '#': it must not contain the secret.
  const std::string text = link_for("https://a.example");
  const std::string requested = text.substr(0, text.find('#'));
  CHECK(requested.find(kSecret) == std::string::npos);
}

TEST_CASE("link errors are sentences a user can read") {
  for (const std::string& text :
       {std::string("ftp://x"), std::string("https://a..b/j/x"), link_for("http://a.example"),
        std::string("https://a.example/j/") + kRoom + "#" + kSecret}) {
    auto r = parse_link(text);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    const std::string& m = r.error().message;
    CHECK((m.front() >= 'A' && m.front() <= 'Z'));
    CHECK(m.back() == '.');
  }
}

TEST_CASE("a password room's link carries no secret and says so") {
  auto rng = default_random();
  const auto room = RoomId::generate(rng);
  const auto token = JoinToken::generate(rng);
  const std::string text = format_password_link("https://ferry.example", room, token);
  CHECK(text == "https://ferry.example/j/" + room.str() + "?t=" + token.str() + "#pw");
  auto link = parse_link(text);
  REQUIRE(link.ok());
  CHECK(link->needs_password());
  CHECK_FALSE(link->secret);
  CHECK(link->room == room);
  // A link cut short still says so, and "#pw" is only ever the marker.
  CHECK(code_of("https://ferry.example/j/" + room.str() + "?t=" + token.str()) == "missing_secret");
  CHECK(code_of("https://ferry.example/j/" + room.str() + "?t=" + token.str() + "#pwx") != "ok");
}
