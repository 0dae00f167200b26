// Tests for util/utf8: strict validation of text from the network, and previews that never
// split a character.
#include "util/utf8.h"

#include <catch2/catch.hpp>
#include <string>

using namespace ferry;

TEST_CASE("well-formed UTF-8 of every length is valid") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ASCII, and a link: https://example.org/?q=1"));
  CHECK(is_valid_utf8("Grüße — ünïcödé ✓ 日本語 🚀"));
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  CHECK(is_valid_utf8(std::string("nul \0 inside", 12)));
}

TEST_CASE("overlong forms, surrogates, code points above U+10FFFF and cut sequences are invalid") {
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong, 4 bytes
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));          // cut short
  CHECK_FALSE(is_valid_utf8("\x80"));              // a continuation byte first
  CHECK_FALSE(is_valid_utf8("\xFF"));
  CHECK_FALSE(is_valid_utf8("ok \xE2\x28\xA1"));  // a bad continuation
}

TEST_CASE("a preview is cut on a character boundary") {
  const std::string s = "a✓b";  // 'a', 3 bytes, 'b'
  CHECK(utf8_prefix(s, 10) == s);
  CHECK(utf8_prefix(s, 1) == "a");
  CHECK(utf8_prefix(s, 2) == "a");
  CHECK(utf8_prefix(s, 3) == "a");
  CHECK(utf8_prefix(s, 4) == "a✓");
  CHECK(is_valid_utf8(utf8_prefix("🚀🚀", 5)));
}
