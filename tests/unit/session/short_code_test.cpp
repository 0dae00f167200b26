// Short codes ("7-orbit-velvet"): generation, canonical form, lenient typing, strict errors;
// and SAS words.
#include "session/short_code.h"

#include <catch2/catch.hpp>

#include "session/wordlist.h"
#include "test_rng.h"

using namespace ferry;
using namespace ferry::session;

namespace {
ShortCode code_of(uint32_t nameplate, std::string_view w1, std::string_view w2) {
  ShortCode c;
  c.nameplate = nameplate;
  c.words = {*word_index(w1), *word_index(w2)};
  return c;
}
}  // namespace

TEST_CASE("short code formats as nameplate and two words") {
  const auto c = code_of(7, "orbit", "velvet");
  CHECK(c.format() == "7-orbit-velvet");
  CHECK(c.password() == "orbit-velvet");
}

TEST_CASE("generated short code uses the random function and round-trips") {
  const auto a = ShortCode::generate(42, test::counting_random(0));
  const auto b = ShortCode::generate(42, test::counting_random(0));
  CHECK(a == b);
  CHECK(a.nameplate == 42u);
  // bytes 00 01 -> 0x100 = 256, bytes 02 03 -> 0x302 = 770
  CHECK(a.words[0] == 256);
  CHECK(a.words[1] == 770);
  auto parsed = parse_short_code(a.format());
  REQUIRE(parsed.ok());
  CHECK(*parsed == a);
}

TEST_CASE("generated short code words stay within the list") {
  const auto c = ShortCode::generate(1, test::constant_random(0xff));
  CHECK(c.words[0] == kWordCount - 1);
  CHECK(c.words[1] == kWordCount - 1);
}

TEST_CASE("typed short code variations parse to the same code") {
  const auto want = code_of(7, "orbit", "velvet");
  for (const char* typed : {"7-orbit-velvet", "7 orbit velvet", "  7-Orbit-VELVET \n",
                            "7 - orbit - velvet", "7-orbit velvet", "7--orbit-velvet"}) {
    INFO(typed);
    auto r = parse_short_code(typed);
    REQUIRE(r.ok());
    CHECK(*r == want);
    CHECK(r->password() == "orbit-velvet");
  }
}

TEST_CASE("empty short code is rejected") {
  CHECK(parse_short_code("").error().code == "empty_code");
  CHECK(parse_short_code("  - ").error().code == "empty_code");
}

TEST_CASE("short code with missing parts is rejected") {
  CHECK(parse_short_code("7-orbit").error().code == "incomplete_code");
  CHECK(parse_short_code("7").error().code == "incomplete_code");
  CHECK(parse_short_code("orbit-velvet").error().code == "incomplete_code");
}

TEST_CASE("short code with extra parts is rejected") {
  auto r = parse_short_code("7-orbit-velvet-candle");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "too_many_parts");
  CHECK(r.error().message.find("4 parts") != std::string::npos);
}

TEST_CASE("short code with a bad nameplate is rejected") {
  CHECK(parse_short_code("x-orbit-velvet").error().code == "bad_nameplate");
  CHECK(parse_short_code("0-orbit-velvet").error().code == "bad_nameplate");
  CHECK(parse_short_code("1234567-orbit-velvet").error().code == "bad_nameplate");
  CHECK(parse_short_code("orbit-velvet-7").error().code == "bad_nameplate");
}

TEST_CASE("short code with an unknown word is rejected naming the word") {
  auto r = parse_short_code("7-orbit-velvett");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "unknown_word");
  CHECK(r.error().message.find("\"velvett\"") != std::string::npos);
  auto odd = parse_short_code("7-orbit-\xc3\xa9t\xc3\xa9");
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().code == "unknown_word");
  CHECK(odd.error().message.find('\xc3') == std::string::npos);  // not echoed raw
}

TEST_CASE("sas bytes map to four words, ten bits each, big-endian") {
  const uint8_t zeros[5] = {0, 0, 0, 0, 0};
  const auto& w = word_list();
  CHECK(sas_words(ByteView(zeros, 5)) == std::string(w[0]) + " " + std::string(w[0]) + " " +
                                             std::string(w[0]) + " " + std::string(w[0]));
  // 0000000001 0000000010 0000000011 1111111111
  const uint8_t bits[5] = {0x00, 0x40, 0x20, 0x0f, 0xff};
  const auto words = sas_word_array(ByteView(bits, 5));
  CHECK(words[0] == w[1]);
  CHECK(words[1] == w[2]);
  CHECK(words[2] == w[3]);
  CHECK(words[3] == w[1023]);
}

TEST_CASE("different sas bytes give different words") {
  const uint8_t a[5] = {1, 2, 3, 4, 5};
  const uint8_t b[5] = {1, 2, 3, 4, 4};
  CHECK(sas_words(ByteView(a, 5)) != sas_words(ByteView(b, 5)));
}
