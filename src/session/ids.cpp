// Generation and strict parsing of the session identifiers (see ids.h for the table).
#include "session/ids.h"

#include <sodium.h>

#include <cassert>

namespace ferry::session {
namespace {

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Shows one character of untrusted text in an error message without echoing control bytes.
std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  return "byte 0x" + to_hex(ByteView(&u, 1));
}

std::string random_base64url(const RandomFn& rng, size_t bytes, size_t chars) {
  Bytes raw(bytes);
  rng(raw.data(), raw.size());
  std::string text = to_base64url(raw);
  sodium_memzero(raw.data(), raw.size());
  assert(text.size() == chars);
  (void)chars;
  return text;
}

// Checks length, alphabet and canonical encoding; `what` names the identifier for the user.
Status check_base64url(std::string_view text, size_t chars, size_t bytes, const char* code,
                       const char* what) {
  if (text.empty()) return make_error(code, std::string(what) + " is empty.");
  if (text.size() != chars) {
    return make_error(code, std::string(what) + " must be " + std::to_string(chars) +
                                " characters, got " + std::to_string(text.size()) + ".");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (!is_base64url_char(text[i])) {
      return make_error(code, std::string(what) + " contains " + describe_char(text[i]) +
                                  " at position " + std::to_string(i + 1) +
                                  ", which is not a base64url character.");
    }
  }
  // Rejects texts whose unused low bits are not zero, so that each value has one spelling.
  auto decoded = from_base64url(text);
  const bool ok = decoded && decoded->size() == bytes;
  if (decoded) sodium_memzero(decoded->data(), decoded->size());
  if (!ok) {
    return make_error(code, std::string(what) + " is not in canonical form (its last character " +
                                "is not one an encoder produces).");
  }
  return Ok{};
}

}  // namespace

template <class Traits>
RandomId<Traits> RandomId<Traits>::generate(const RandomFn& rng) {
  return RandomId(random_base64url(rng, Traits::kBytes, Traits::kChars));
}

template <class Traits>
Result<RandomId<Traits>> RandomId<Traits>::parse(std::string_view text) {
  auto st =
      check_base64url(text, Traits::kChars, Traits::kBytes, Traits::kErrorCode, Traits::kName);
  if (!st) return st.error();
  return RandomId(std::string(text));
}

template <class Traits>
RandomId<Traits>::~RandomId() {
  if (!text_.empty()) sodium_memzero(text_.data(), text_.size());
}

template <class Traits>
Bytes RandomId<Traits>::bytes() const {
  auto decoded = from_base64url(text_);
  assert(decoded && decoded->size() == Traits::kBytes);  // checked when made
  return std::move(*decoded);
}

template <class Traits>
bool RandomId<Traits>::operator==(const RandomId& other) const {
  return tokens_equal(text_, other.text_);
}

template class RandomId<RoomIdTraits>;
template class RandomId<JoinTokenTraits>;
template class RandomId<ResumeTokenTraits>;
template class RandomId<LinkSecretTraits>;

bool tokens_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string format_nameplate(uint32_t nameplate) {
  assert(nameplate >= 1 && nameplate <= kMaxNameplate);
  return std::to_string(nameplate);
}

Result<uint32_t> parse_nameplate(std::string_view text) {
  constexpr const char* kCode = "bad_nameplate";
  if (text.empty()) return make_error(kCode, "The code must start with a number.");
  for (char c : text) {
    if (c < '0' || c > '9') {
      return make_error(kCode, "The number at the start of the code contains " + describe_char(c) +
                                   "; use digits only.");
    }
  }
  if (text[0] == '0') {
    return make_error(kCode, "The number at the start of the code cannot start with 0.");
  }
  const size_t max_digits = std::to_string(kMaxNameplate).size();
  if (text.size() > max_digits) {
    return make_error(kCode, "The number at the start of the code is too long (at most " +
                                 std::to_string(max_digits) + " digits).");
  }
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  return value;
}

}  // namespace ferry::session
