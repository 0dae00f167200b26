// Strict UTF-8 validation. See utf8.h.
#include "util/utf8.h"

#include <cstdint>

namespace ferry {

Utf8Step decode_utf8_at(std::string_view s, size_t at) {
  const auto b0 = static_cast<uint8_t>(s[at]);
  if (b0 < 0x80) return {b0, 1, true};
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {0, 1, false};  // a continuation byte first, or 0xF8..0xFF
  }
  size_t k = 1;
  for (; k < len && at + k < s.size(); ++k) {
    const auto b = static_cast<uint8_t>(s[at + k]);
    if ((b & 0xC0) != 0x80) break;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (k < len || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, k, false};
  return {cp, len, true};
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const Utf8Step step = decode_utf8_at(s, i);
    if (!step.valid) return false;
    i += step.length;
  }
  return true;
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  // Back up over continuation bytes to the start of the character the cut falls in.
  while (end > 0 && (static_cast<uint8_t>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace ferry
