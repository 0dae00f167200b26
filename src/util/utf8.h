// UTF-8 checks for text that crosses the network (messages between the two devices): strict,
// as RFC 3629 defines it, so text from a peer is either shown exactly or refused.
#pragma once

#include <cstddef>
#include <string_view>

namespace ferry {

// One step of a strict UTF-8 decoder at byte `at` of `s` (at < s.size()): the code point and
// the bytes it took. An invalid sequence (see is_valid_utf8) is `valid = false` and takes its
// lead byte and the continuation bytes that belonged to it, so a caller that replaces it with
// U+FFFD shows one replacement per broken character.
struct Utf8Step {
  char32_t code_point = 0;
  size_t length = 1;
  bool valid = false;
};
Utf8Step decode_utf8_at(std::string_view s, size_t at);

// Well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view s);

// The longest prefix of `s` (valid UTF-8) of at most `max_bytes` bytes that ends on a code
// point boundary (for previews: a cut never splits a character).
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

}  // namespace ferry
