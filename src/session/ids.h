// Session identifiers: room ids, join tokens, resume tokens, link secrets and nameplates.
//
// Each random identifier is a distinct type, so a join token cannot be passed where a room id is
// expected. All are base64url (RFC 4648, no padding) of a whole number of random bytes, drawn from
// the RandomFn the caller hands in. Parsers are strict: exact length, base64url alphabet only,
// canonical encoding only, and each failure names what was wrong.
//
//   identifier     chars  random bits  travels                    error code
//   room id          20      120       URL path, server sees it   bad_room_id
//   join token       32      192       URL query, server checks   bad_join_token
//   resume token     32      192       to server when rejoining   bad_resume_token
//   link secret      22      128       URL fragment only (never   bad_link_secret
//                                      sent to the server); the
//                                      CPace password
//   nameplate     1..6 digits          short code, server routes  bad_nameplate
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::session {

// 15 bytes = 120 bits: above the design's 100-bit floor, and a multiple of 3 bytes, so the
// base64url text has no partial characters.
constexpr size_t kRoomIdBytes = 15;
constexpr size_t kRoomIdChars = 20;
// 24 bytes = 192 bits: above the design's 160-bit floor; again a multiple of 3 bytes.
constexpr size_t kTokenBytes = 24;
constexpr size_t kTokenChars = 32;
// 16 bytes = 128 bits, the design's floor for the secret that protects the whole session.
// 22 characters; the last carries 2 bits and its 4 spare bits must be zero (canonical form).
constexpr size_t kLinkSecretBytes = 16;
constexpr size_t kLinkSecretChars = 22;
// Nameplates are small numbers the server hands out; 6 digits are far more concurrent rooms
// than one server holds, and keep the short code short.
constexpr uint32_t kMaxNameplate = 999999;

// One kind of random identifier; Traits gives its size, error code and name. Each kind is its
// own type (below). The text is wiped from memory when destroyed: most of them are secrets.
template <class Traits>
class RandomId {
 public:
  static RandomId generate(const RandomFn& rng);
  // Strict: exactly Traits::kChars base64url characters in canonical form. Errors carry
  // Traits::kErrorCode and say what was wrong.
  static Result<RandomId> parse(std::string_view text);

  RandomId(const RandomId&) = default;
  RandomId& operator=(const RandomId&) = default;
  RandomId(RandomId&&) = default;
  RandomId& operator=(RandomId&&) = default;
  ~RandomId();

  const std::string& str() const { return text_; }
  // The decoded Traits::kBytes random bytes.
  Bytes bytes() const;
  // Constant time, like tokens_equal.
  bool operator==(const RandomId& other) const;

 private:
  explicit RandomId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

struct RoomIdTraits {
  static constexpr size_t kBytes = kRoomIdBytes;
  static constexpr size_t kChars = kRoomIdChars;
  static constexpr const char* kErrorCode = "bad_room_id";
  static constexpr const char* kName = "Room id";
};
struct JoinTokenTraits {
  static constexpr size_t kBytes = kTokenBytes;
  static constexpr size_t kChars = kTokenChars;
  static constexpr const char* kErrorCode = "bad_join_token";
  static constexpr const char* kName = "Join token";
};
struct ResumeTokenTraits {
  static constexpr size_t kBytes = kTokenBytes;
  static constexpr size_t kChars = kTokenChars;
  static constexpr const char* kErrorCode = "bad_resume_token";
  static constexpr const char* kName = "Resume token";
};
struct LinkSecretTraits {
  static constexpr size_t kBytes = kLinkSecretBytes;
  static constexpr size_t kChars = kLinkSecretChars;
  static constexpr const char* kErrorCode = "bad_link_secret";
  static constexpr const char* kName = "Link secret";
};

// A room id: names the room in the URL path. Not secret (the server knows it).
using RoomId = RandomId<RoomIdTraits>;
// A join token: lets the second peer into a room. The server stores it hashed; compare with
// tokens_equal (constant time) wherever it is checked.
using JoinToken = RandomId<JoinTokenTraits>;
// A resume token: given by the server to each peer, so that peer (and only it) can take its
// place again after a reload or a dropped connection.
using ResumeToken = RandomId<ResumeTokenTraits>;
// The link secret: the CPace password for link and QR sessions. It lives only in the URL
// fragment, which browsers never send to a server.
using LinkSecret = RandomId<LinkSecretTraits>;

// Constant-time equality of two token texts (lengths are not secret).
bool tokens_equal(std::string_view a, std::string_view b);

// Nameplates: "1".."999999", decimal, no sign, no leading zero.
std::string format_nameplate(uint32_t nameplate);
Result<uint32_t> parse_nameplate(std::string_view text);

}  // namespace ferry::session
