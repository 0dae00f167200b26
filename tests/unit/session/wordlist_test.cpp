// The code word list: size, order, alphabet, lengths, uniqueness and lookup.
#include "session/wordlist.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace ferry::session;

TEST_CASE("word list has exactly 1024 words") {
  CHECK(word_list().size() == 1024);
  CHECK((size_t{1} << kBitsPerWord) == kWordCount);
}

TEST_CASE("words are unique and sorted") {
  const auto& words = word_list();
  std::set<std::string_view> unique(words.begin(), words.end());
  CHECK(unique.size() == words.size());
  for (size_t i = 1; i < words.size(); ++i) {
    INFO(words[i - 1] << " / " << words[i]);
    CHECK(words[i - 1] < words[i]);
  }
}

TEST_CASE("words are 3 to 8 lowercase ascii letters") {
  for (auto w : word_list()) {
    INFO(w);
    CHECK(w.size() >= 3);
    CHECK(w.size() <= 8);
    for (char c : w) CHECK((c >= 'a' && c <= 'z'));
  }
}

TEST_CASE("every word looks up to its own index") {
  for (size_t i = 0; i < kWordCount; ++i) {
    const auto index = word_index(word_list()[i]);
    REQUIRE(index.has_value());
    CHECK(*index == i);
    CHECK(word_at(static_cast<uint16_t>(i)) == word_list()[i]);
  }
}

TEST_CASE("word lookup ignores case and surrounding whitespace") {
  const auto orbit = word_index("orbit");
  REQUIRE(orbit.has_value());
  CHECK(word_index("ORBIT") == orbit);
  CHECK(word_index("  Orbit\t") == orbit);
}

TEST_CASE("unknown or malformed words are not found") {
  CHECK_FALSE(word_index("").has_value());
  CHECK_FALSE(word_index("   ").has_value());
  CHECK_FALSE(word_index("orbitx").has_value());
  CHECK_FALSE(word_index("orb it").has_value());
  CHECK_FALSE(word_index("zzzzzzzzzzzzzzzzzzzzzzzz").has_value());
  CHECK_FALSE(word_index("waive").has_value());
}
