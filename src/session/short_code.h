// Short codes, for typing on a phone: "<nameplate>-<word>-<word>", e.g. "7-orbit-velvet".
//
// The nameplate is a small number the server maps to a room; it only routes, and is not secret.
// The two words (20 bits) are the CPace password: a low-entropy secret that the PAKE makes safe,
// since an attacker gets one online guess per attempt and the room is burned after a few failures.
// Also here: the SAS (short authentication string) as words from the same list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::session {

// Words in a short code: 2 x 10 bits. Enough for an online-only attack with a few tries per
// room (1 in ~350,000 per guess); more words would be harder to type and remember.
constexpr size_t kShortCodeWords = 2;
// Bytes of SAS input: 40 bits = 4 words of 10 bits (crypto::kSasBytes).
constexpr size_t kSasInputBytes = 5;
constexpr size_t kSasWords = 4;

struct ShortCode {
  uint32_t nameplate = 0;                         // 1..kMaxNameplate
  std::array<uint16_t, kShortCodeWords> words{};  // indexes into word_list()

  // Two uniformly random words (1024 divides 2^16, so masking 16 random bits is unbiased).
  static ShortCode generate(uint32_t nameplate, const RandomFn& rng);

  // Canonical text: "7-orbit-velvet".
  std::string format() const;
  // The CPace password: the words only, canonical ("orbit-velvet"), so the nameplate the server
  // chose does not enter the key and any typed variation of the words gives the same password.
  std::string password() const;

  bool operator==(const ShortCode&) const = default;
};

// Parses a typed code. Accepts upper case, spaces or hyphens (or runs of them) between parts,
// and surrounding whitespace. Errors, each with a message a user can act on:
//   empty_code       nothing typed
//   incomplete_code  fewer than a number and two words
//   too_many_parts   more than three parts
//   bad_nameplate    the first part is not a number 1..kMaxNameplate
//   unknown_word     a word is not in the list (the message names it)
Result<ShortCode> parse_short_code(std::string_view typed);

// The SAS as 4 words separated by single spaces: the 40 bits big-endian, 10 bits per word.
// `sas` must be exactly kSasInputBytes long.
std::array<std::string_view, kSasWords> sas_word_array(ByteView sas);
std::string sas_words(ByteView sas);

}  // namespace ferry::session
