// Sanitising file names that arrive from the peer, before the UI shows them or a save dialog
// gets them as a suggestion. A received name is attacker-controlled: it must not escape the
// chosen folder, spoof its extension, confuse a terminal or a Windows file system.
#pragma once

#include <string>
#include <string_view>

namespace ferry::transfer {

// Longest sanitised name in bytes of UTF-8: NAME_MAX on Linux and macOS file systems.
constexpr size_t kMaxFileNameBytes = 255;
// Longest extension (after the last dot, dot excluded) kept whole when a long name is cut;
// real extensions are short, and a "long extension" is just part of the name.
constexpr size_t kMaxKeptExtensionBytes = 16;
// What an empty (or wholly unusable) name becomes.
constexpr std::string_view kFallbackFileName = "file";

// Returns a safe single path component, never empty, valid UTF-8, at most kMaxFileNameBytes:
// - invalid UTF-8 becomes U+FFFD;
// - path separators ('/', '\'), characters Windows forbids (<>:"|?*), control characters
//   (C0, DEL, C1: this also defuses ANSI escape sequences), every Unicode format character
//   (category Cf: bidi controls, zero-width spaces and joiners U+200B..U+200F, U+2060..U+2064,
//   soft hyphen U+00AD, U+180E, U+FEFF, tags, ...), the invisible Hangul fillers, U+2028/9
//   and the noncharacters U+FFFE/F each become '_': they can hide or reorder an extension;
// - leading spaces and trailing dots/spaces are removed (Windows drops them silently);
// - "." and ".." (and any all-dot name) cannot survive, so no traversal is possible;
// - Windows reserved device names (CON, PRN, AUX, NUL, CONIN$, CONOUT$, CLOCK$, COM0-9,
//   LPT0-9, COM and LPT with a superscript 1-3, with or without an extension, any case) get a
//   '_' prefix;
// - a long name is cut on a code point boundary, keeping a short extension.
std::string sanitize_file_name(std::string_view raw);

}  // namespace ferry::transfer
