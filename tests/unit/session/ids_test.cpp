// Session identifiers: generation, lengths, strict parsing and its error messages.
#include "session/ids.h"

#include <catch2/catch.hpp>
#include <set>

#include "test_rng.h"

using namespace ferry;
using namespace ferry::session;

TEST_CASE("generated identifiers have their documented lengths and parse back") {
  auto rng = default_random();
  const auto room = RoomId::generate(rng);
  const auto join = JoinToken::generate(rng);
  const auto resume = ResumeToken::generate(rng);
  const auto secret = LinkSecret::generate(rng);
  CHECK(room.str().size() == kRoomIdChars);
  CHECK(join.str().size() == kTokenChars);
  CHECK(resume.str().size() == kTokenChars);
  CHECK(secret.str().size() == kLinkSecretChars);
  CHECK(RoomId::parse(room.str()).ok());
  CHECK(JoinToken::parse(join.str()).ok());
  CHECK(ResumeToken::parse(resume.str()).ok());
  REQUIRE(LinkSecret::parse(secret.str()).ok());
  CHECK(LinkSecret::parse(secret.str())->bytes() == secret.bytes());
  CHECK(secret.bytes().size() == kLinkSecretBytes);
}

TEST_CASE("identifiers carry the documented number of random bits") {
  CHECK(kRoomIdBytes * 8 >= 100);
  CHECK(kTokenBytes * 8 >= 160);
  CHECK(kLinkSecretBytes * 8 >= 128);
}

TEST_CASE("identifiers come from the random function handed in") {
  const auto a = RoomId::generate(test::counting_random(0));
  const auto b = RoomId::generate(test::counting_random(0));
  const auto c = RoomId::generate(test::counting_random(1));
  CHECK(a == b);
  CHECK_FALSE(a == c);
  // 0x00 0x01 0x02 ... in base64url
  CHECK(a.str() == "AAECAwQFBgcICQoLDA0O");
}

TEST_CASE("many generated room ids are distinct") {
  auto rng = default_random();
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(RoomId::generate(rng).str());
  CHECK(seen.size() == 1000);
}

TEST_CASE("room id of the wrong length is rejected with its length") {
  auto r = RoomId::parse("AAECAwQFBgcICQoLDA0");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_room_id");
  CHECK(r.error().message == "Room id must be 20 characters, got 19.");
  CHECK(RoomId::parse("").error().message == "Room id is empty.");
  CHECK(RoomId::parse("AAECAwQFBgcICQoLDA0OA").error().code == "bad_room_id");
}

TEST_CASE("identifier with a character outside base64url is rejected naming it") {
  auto r = JoinToken::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFR+W");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_join_token");
  CHECK(r.error().message ==
        "Join token contains '+' at position 31, which is not a base64url character.");
  auto padded = ResumeToken::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRY=");
  REQUIRE_FALSE(padded.ok());
  CHECK(padded.error().code == "bad_resume_token");
  auto control = RoomId::parse(std::string("AAECAwQFBgcICQoLDA0") + '\x01');
  REQUIRE_FALSE(control.ok());
  CHECK(control.error().message.find("byte 0x01") != std::string::npos);
}

TEST_CASE("link secret with non-zero unused bits is rejected as non-canonical") {
  const std::string good = LinkSecret::generate(test::constant_random(0)).str();
  REQUIRE(good == "AAAAAAAAAAAAAAAAAAAAAA");
  // 'B' sets one of the 4 unused low bits of the last character.
  auto r = LinkSecret::parse("AAAAAAAAAAAAAAAAAAAAAB");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_link_secret");
  CHECK(r.error().message.find("canonical") != std::string::npos);
  CHECK(LinkSecret::parse("AAAAAAAAAAAAAAAAAAAAAQ").ok());  // 'Q' = 010000: only used bits
}

TEST_CASE("tokens compare equal only when identical") {
  CHECK(tokens_equal("abc", "abc"));
  CHECK_FALSE(tokens_equal("abc", "abd"));
  CHECK_FALSE(tokens_equal("abc", "abcd"));
  CHECK(tokens_equal("", ""));
}

TEST_CASE("nameplates format and parse as plain decimal numbers") {
  CHECK(format_nameplate(7) == "7");
  CHECK(format_nameplate(kMaxNameplate) == "999999");
  CHECK(*parse_nameplate("7") == 7u);
  CHECK(*parse_nameplate("999999") == 999999u);
}

TEST_CASE("bad nameplates are rejected with a reason") {
  CHECK(parse_nameplate("").error().code == "bad_nameplate");
  CHECK(parse_nameplate("0").error().message.find("cannot start with 0") != std::string::npos);
  CHECK(parse_nameplate("07").error().code == "bad_nameplate");
  CHECK(parse_nameplate("1000000").error().message.find("too long") != std::string::npos);
  CHECK(parse_nameplate("-3").error().message.find("'-'") != std::string::npos);
  CHECK(parse_nameplate("7a").error().message.find("digits only") != std::string::npos);
  CHECK(parse_nameplate("99999999999999999999").error().code == "bad_nameplate");
}
