// The word list for short codes and SAS strings: exactly 1024 short, common English words, so
// each word carries 10 bits. Written for this project: lowercase a-z, 3 to 8 letters, no
// duplicates, sorted (lookup is a binary search), and pruned of homophones ("wave"/"waive"),
// spelling variants ("donut"/"doughnut") and near-twins ("ski"/"skiing") so that a code read
// aloud or typed from memory lands on the intended word.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::session {

// 2^10 words: 10 bits per word, whole bytes map onto whole words (SAS: 40 bits = 4 words).
constexpr size_t kWordCount = 1024;
constexpr unsigned kBitsPerWord = 10;

// All words, sorted ascending.
const std::array<std::string_view, kWordCount>& word_list();

// The word at `index` (< kWordCount).
std::string_view word_at(uint16_t index);

// Index of a typed word: case-insensitive, surrounding whitespace ignored. nullopt if unknown.
std::optional<uint16_t> word_index(std::string_view typed);

}  // namespace ferry::session
