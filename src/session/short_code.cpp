// Short codes and SAS words (see short_code.h).
#include "session/short_code.h"

#include <cassert>
#include <vector>

#include "session/ids.h"
#include "session/wordlist.h"

namespace ferry::session {
namespace {

bool is_separator(char c) {
  return c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Splits on runs of separators; leading and trailing separators are ignored.
std::vector<std::string_view> split_parts(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_separator(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !is_separator(s[i])) ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

// Keeps untrusted text short and printable when it is echoed in an error message.
std::string quote_for_message(std::string_view s) {
  constexpr size_t kMaxShown = 24;  // characters; a real word has at most 8
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    out += (u >= 0x20 && u < 0x7f) ? s[i] : '?';
  }
  if (s.size() > kMaxShown) out += "...";
  return out + "\"";
}

constexpr const char* kExample = "7-orbit-velvet";

}  // namespace

ShortCode ShortCode::generate(uint32_t nameplate, const RandomFn& rng) {
  assert(nameplate >= 1 && nameplate <= kMaxNameplate);
  ShortCode code;
  code.nameplate = nameplate;
  for (auto& w : code.words) {
    uint8_t r[2];
    rng(r, sizeof r);
    w = static_cast<uint16_t>((r[0] | (r[1] << 8)) & (kWordCount - 1));
  }
  return code;
}

std::string ShortCode::format() const {
  return format_nameplate(nameplate) + "-" + password();
}

std::string ShortCode::password() const {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += '-';
    out += word_at(words[i]);
  }
  return out;
}

Result<ShortCode> parse_short_code(std::string_view typed) {
  const auto parts = split_parts(typed);
  if (parts.empty()) {
    return make_error("empty_code", std::string("Type the code, like ") + kExample + ".");
  }
  if (parts.size() < 1 + kShortCodeWords) {
    return make_error("incomplete_code", std::string("The code needs a number and two words, "
                                                     "like ") +
                                             kExample + ".");
  }
  if (parts.size() > 1 + kShortCodeWords) {
    return make_error("too_many_parts", "The code has " + std::to_string(parts.size()) +
                                            " parts; it should be a number and two words, like " +
                                            kExample + ".");
  }
  auto nameplate = parse_nameplate(parts[0]);
  if (!nameplate) return nameplate.error();
  ShortCode code;
  code.nameplate = *nameplate;
  for (size_t i = 0; i < kShortCodeWords; ++i) {
    auto index = word_index(parts[1 + i]);
    if (!index) {
      return make_error("unknown_word", quote_for_message(parts[1 + i]) +
                                            " is not one of the code words; check its spelling.");
    }
    code.words[i] = *index;
  }
  return code;
}

std::array<std::string_view, kSasWords> sas_word_array(ByteView sas) {
  assert(sas.size() == kSasInputBytes);
  static_assert(kSasInputBytes * 8 == kSasWords * kBitsPerWord);
  uint64_t bits = 0;
  for (size_t i = 0; i < kSasInputBytes; ++i) bits = (bits << 8) | sas[i];
  std::array<std::string_view, kSasWords> out;
  for (size_t i = 0; i < kSasWords; ++i) {
    const unsigned shift = kBitsPerWord * static_cast<unsigned>(kSasWords - 1 - i);
    out[i] = word_at(static_cast<uint16_t>((bits >> shift) & (kWordCount - 1)));
  }
  return out;
}

std::string sas_words(ByteView sas) {
  std::string out;
  for (auto w : sas_word_array(sas)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

}  // namespace ferry::session
