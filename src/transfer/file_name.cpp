// File-name sanitiser: see file_name.h for the rules and their reasons.
#include "transfer/file_name.h"

#include <array>
#include <cstdint>
#include <vector>

#include "util/utf8.h"

namespace ferry::transfer {
namespace {

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes UTF-8 strictly (no overlongs, no surrogates, nothing above U+10FFFF); each invalid
// sequence becomes one U+FFFD so the user still sees that something was there.
std::vector<char32_t> decode_utf8(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const Utf8Step step = decode_utf8_at(s, i);
    out.push_back(step.valid ? step.code_point : kReplacementChar);
    i += step.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// Unicode format characters (general category Cf) and the invisible fillers that pass for
// letters: each can hide or reorder part of a name ("invoice\u200B.pdf", "gpj.exe" behind an
// RLO). Ranges are inclusive; the list follows Unicode 15's Cf set.
struct CodeRange {
  char32_t first;
  char32_t last;
};
constexpr CodeRange kInvisibleRanges[] = {
    {0x00AD, 0x00AD},    // soft hyphen
    {0x034F, 0x034F},    // combining grapheme joiner
    {0x0600, 0x0605},    // Arabic number signs
    {0x061C, 0x061C},    // Arabic letter mark
    {0x06DD, 0x06DD},    // Arabic end of ayah
    {0x070F, 0x070F},    // Syriac abbreviation mark
    {0x0890, 0x0891},    // Arabic pound and piastre marks above
    {0x08E2, 0x08E2},    // Arabic disputed end of ayah
    {0x115F, 0x1160},    // Hangul choseong and jungseong fillers
    {0x180E, 0x180E},    // Mongolian vowel separator
    {0x200B, 0x200F},    // zero width space, ZWNJ, ZWJ, LRM, RLM
    {0x2028, 0x202E},    // line/paragraph separators, bidi embeddings and overrides
    {0x2060, 0x2064},    // word joiner, invisible function application/times/separator/plus
    {0x2066, 0x206F},    // bidi isolates, deprecated format characters
    {0x3164, 0x3164},    // Hangul filler
    {0xFEFF, 0xFEFF},    // zero width no-break space / BOM
    {0xFFA0, 0xFFA0},    // halfwidth Hangul filler
    {0xFFF9, 0xFFFB},    // interlinear annotation controls
    {0x110BD, 0x110BD},  // Kaithi number sign
    {0x110CD, 0x110CD},  // Kaithi number sign above
    {0x13430, 0x1343F},  // Egyptian hieroglyph format controls
    {0x1BCA0, 0x1BCA3},  // shorthand format controls
    {0x1D173, 0x1D17A},  // musical symbol format controls
    {0xE0001, 0xE0001},  // language tag
    {0xE0020, 0xE007F},  // tag characters
    {0xFFFE, 0xFFFF},    // noncharacters
};

bool is_unsafe(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;  // C0, DEL, C1 (ESC starts ANSI codes)
  switch (c) {
    case '/': case '\\': case '<': case '>': case ':': case '"': case '|': case '?': case '*':
      return true;
    default:
      break;
  }
  for (const auto& r : kInvisibleRanges) {
    if (c >= r.first && c <= r.last) return true;
  }
  return false;
}

char32_t ascii_upper(char32_t c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }

// Superscript one, two and three: Windows reads "COM\u00B9" as COM1 (and LPT likewise).
bool is_port_digit(char32_t c) {
  return (c >= '0' && c <= '9') || c == 0x00B9 || c == 0x00B2 || c == 0x00B3;
}

// CON, PRN, AUX, NUL, CONIN$, CONOUT$, CLOCK$, COM0-9, LPT0-9 and COM/LPT with a superscript
// 1-3: Windows opens the device whatever the extension.
bool is_windows_reserved(const std::vector<char32_t>& name) {
  size_t stem = 0;
  while (stem < name.size() && name[stem] != '.') ++stem;
  std::u32string s;
  for (size_t i = 0; i < stem; ++i) s.push_back(ascii_upper(name[i]));
  // Windows also ignores trailing spaces in the stem ("CON .txt").
  while (!s.empty() && s.back() == ' ') s.pop_back();
  static const std::array<std::u32string_view, 7> kDevices = {U"CON",    U"PRN",     U"AUX",   U"NUL",
                                                              U"CONIN$", U"CONOUT$", U"CLOCK$"};
  for (auto d : kDevices) {
    if (s == d) return true;
  }
  return s.size() == 4 && (s.starts_with(U"COM") || s.starts_with(U"LPT")) && is_port_digit(s[3]);
}

}  // namespace

std::string sanitize_file_name(std::string_view raw) {
  std::vector<char32_t> cps = decode_utf8(raw);
  for (auto& c : cps) {
    if (is_unsafe(c)) c = '_';
  }
  // Leading spaces hide the name's start; trailing dots and spaces are dropped by Windows.
  size_t begin = 0;
  while (begin < cps.size() && cps[begin] == ' ') ++begin;
  size_t end = cps.size();
  while (end > begin && (cps[end - 1] == '.' || cps[end - 1] == ' ')) --end;
  std::vector<char32_t> name(cps.begin() + static_cast<std::ptrdiff_t>(begin),
                             cps.begin() + static_cast<std::ptrdiff_t>(end));
  // Only dots (".", "..") were removed entirely above, so traversal cannot survive.
  if (name.empty()) return std::string(kFallbackFileName);
  if (is_windows_reserved(name)) name.insert(name.begin(), '_');

  // Split off a short extension to keep when cutting.
  size_t ext_start = name.size();
  for (size_t i = name.size(); i > 1; --i) {
    if (name[i - 1] == '.') {
      ext_start = i - 1;
      break;
    }
  }
  size_t ext_bytes = 0;
  for (size_t i = ext_start; i < name.size(); ++i) ext_bytes += utf8_length(name[i]);
  if (ext_bytes > kMaxKeptExtensionBytes + 1) {
    ext_start = name.size();
    ext_bytes = 0;
  }
  std::string stem;
  const size_t stem_budget = kMaxFileNameBytes - ext_bytes;
  bool cut = false;
  for (size_t i = 0; i < ext_start; ++i) {
    if (stem.size() + utf8_length(name[i]) > stem_budget) {
      cut = true;
      break;
    }
    append_utf8(stem, name[i]);
  }
  // A cut may leave trailing spaces or dots; Windows would drop them (and with no extension,
  // they would end the name).
  while (cut && !stem.empty() && (stem.back() == ' ' || stem.back() == '.')) stem.pop_back();
  if (stem.empty()) stem = std::string(kFallbackFileName);
  std::string out = stem;
  for (size_t i = ext_start; i < name.size(); ++i) append_utf8(out, name[i]);
  return out;
}

}  // namespace ferry::transfer
