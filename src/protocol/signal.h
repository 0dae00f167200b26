// Signalling envelopes of the `ferry.v1` WebSocket subprotocol: the JSON messages between a
// browser and ferry-server. Both sides use this file: the server parses ClientMessage and sends
// ServerMessage, the browser does the reverse. Parsers are strict and never throw: every field is
// checked for type, length and alphabet, unknown types and unknown fields are rejected, and each
// failure is an Error whose code names the problem.
//
//   A (creator)                 ferry-server                  B (joiner)
//   create           ------->
//                    <-------   created {room, token, nameplate, expires, resume, ice, relay_rate}
//                                          <-------   join {room, token} | join {nameplate}
//                               joined {room, resume, expires, ice, peer:true, relay_rate} ------->
//                    <-------   peer_joined
//   relay {payload}  ------->   relay {payload}                                ------->
//   [binary frame]   ------->   [the same binary frame, unchanged]             ------->
//   (drop)                      peer_left                                      ------->
//   rejoin {room, resume} --->  joined {...}; the other peer gets peer_joined
//   pake_failed      ------->   B is evicted; after N failures the nameplate is burned
//   pake_confirmed   ------->   B confirmed its key: its seat is kept, the code is spent
//   reject_peer      ------->   B is evicted without counting a failure (A refused to run a
//                               handshake at all: a dead code, or a code after a link joiner)
//   new_code         ------->   a fresh nameplate for the room
//                    <-------   nameplate {nameplate}
//
// Every envelope is a JSON object {"v":1,"type":"...", ...fields}. Payloads are opaque
// base64url strings (the sealed signalling of crypto/), never looked into by the server.
//
// The data relay (the fallback when WebRTC cannot connect): when relay_rate > 0, a peer in a
// room may send binary WebSocket messages of at most kMaxRelayFrameBytes (the already-sealed
// frames of protocol/frame.h); the server forwards each unchanged, in order with the text
// relays, to the other peer, and drops it silently while the other peer is away. relay_rate is
// the room's budget in bytes per second (both directions together, about one second of burst);
// over budget the server reads the sender's socket more slowly instead of dropping, so
// WebSocket.bufferedAmount grows in the sender's tab. With relay_rate 0 a binary message closes
// the connection (4007); a binary message above kMaxRelayFrameBytes closes it with 4001.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.h"

namespace ferry::protocol {

// The envelope version carried in "v"; the subprotocol name carries it too.
constexpr int kSignalVersion = 1;
constexpr std::string_view kSignalSubprotocol = "ferry.v1";
// Upper bound on a relayed payload, in base64url characters: an SDP with many candidates,
// sealed, stays far below 64 KiB. The server may configure a lower limit.
constexpr size_t kMaxPayloadChars = 64 * 1024;
// Upper bound on a whole envelope, in bytes: the largest payload plus room for the other fields.
constexpr size_t kMaxEnvelopeBytes = kMaxPayloadChars + 4096;
// Error codes and messages are short words and one sentence; longer text is hostile.
constexpr size_t kMaxErrorCodeChars = 64;
constexpr size_t kMaxErrorMessageChars = 512;
// Largest binary message a client may send through the data relay: a CHUNK frame of the
// 64 KiB chunks in use with its header and AEAD tag fits four times over, so larger chunks can be
// measured without a protocol change.
constexpr size_t kMaxRelayFrameBytes = 256 * 1024;
// ICE server lists: browsers accept a handful; more is a misconfiguration or an attack.
constexpr size_t kMaxIceServers = 8;
constexpr size_t kMaxIceUrls = 8;
constexpr size_t kMaxIceFieldChars = 512;

struct IceServer {
  std::vector<std::string> urls;  // stun:, stuns:, turn: or turns: URLs
  std::string username;           // empty for STUN
  std::string credential;         // empty for STUN
  bool operator==(const IceServer&) const = default;
};

// --- browser -> server ---------------------------------------------------------------------
struct Create {
  bool operator==(const Create&) const = default;
};
struct JoinByToken {
  std::string room;   // session::RoomId text
  std::string token;  // session::JoinToken text
  bool operator==(const JoinByToken&) const = default;
};
struct JoinByNameplate {
  std::string nameplate;  // "1".."999999"
  bool operator==(const JoinByNameplate&) const = default;
};
struct Rejoin {
  std::string room;
  std::string resume;  // session::ResumeToken text
  bool operator==(const Rejoin&) const = default;
};
struct Relay {
  std::string payload;  // base64url, 1..kMaxPayloadChars
  bool operator==(const Relay&) const = default;
};
// The creator's report that the joiner failed the PAKE (a wrong short code).
struct PakeFailed {
  bool operator==(const PakeFailed&) const = default;
};
// The creator's report that the joiner's key confirmation verified: the server keeps its seat
// (no unconfirmed-joiner expiry) and spends the room's nameplate.
struct PakeConfirmed {
  bool operator==(const PakeConfirmed&) const = default;
};
// The creator evicts an unconfirmed joiner without running a handshake (so nothing was guessed
// and no failure is counted): it asked for a code that is dead or no longer accepted.
struct RejectPeer {
  bool operator==(const RejectPeer&) const = default;
};
// The creator asks for a fresh nameplate (its old code died after too many wrong tries).
struct NewCode {
  bool operator==(const NewCode&) const = default;
};
using ClientMessage = std::variant<Create, JoinByToken, JoinByNameplate, Rejoin, Relay, PakeFailed,
                                   PakeConfirmed, RejectPeer, NewCode>;

// --- server -> browser ---------------------------------------------------------------------
struct Created {
  std::string room;
  std::string token;
  std::string nameplate;
  int64_t expires = 0;  // unix seconds: the room's hard expiry if nobody joins
  std::string resume;
  std::vector<IceServer> ice_servers;
  int64_t relay_rate = 0;  // bytes per second the server relays for this room; 0: the data relay is off
  bool operator==(const Created&) const = default;
};
struct Joined {  // answer to a join and to a rejoin
  std::string room;
  std::string resume;
  int64_t expires = 0;  // unix seconds: the room's hard cap
  bool creator = false;  // true when the creator rejoined
  bool peer = false;     // whether the other peer is connected now
  std::vector<IceServer> ice_servers;
  int64_t relay_rate = 0;  // as in Created
  bool operator==(const Joined&) const = default;
};
struct PeerJoined {
  bool operator==(const PeerJoined&) const = default;
};
struct PeerLeft {
  bool operator==(const PeerLeft&) const = default;
};
struct Relayed {  // sent with type "relay"
  std::string payload;
  bool operator==(const Relayed&) const = default;
};
struct ErrorMessage {  // sent with type "error"
  std::string code;
  std::string message;
  bool operator==(const ErrorMessage&) const = default;
};
struct NewNameplate {  // sent with type "nameplate": the answer to new_code
  std::string nameplate;
  bool operator==(const NewNameplate&) const = default;
};
using ServerMessage =
    std::variant<Created, Joined, PeerJoined, PeerLeft, Relayed, ErrorMessage, NewNameplate>;

// Parse one envelope. Errors: "bad_json", "bad_version", "unknown_type", "missing_field",
// "bad_field" (wrong type, length or alphabet), "unknown_field", "too_large".
Result<ClientMessage> parse_client_message(std::string_view text);
Result<ServerMessage> parse_server_message(std::string_view text);

// Serialize one envelope. Fields are not validated here; the parsers are the gate.
std::string serialize(const ClientMessage& m);
std::string serialize(const ServerMessage& m);
// The bytes serialize() writes for a relay (client's or server's: the same envelope) with this
// base64url payload; the parsers read them without the JSON parser (the relay's hot path).
std::string relay_envelope(std::string_view base64url_payload);

// The envelope's "type" string, for logs and metrics.
std::string_view type_name(const ClientMessage& m);
std::string_view type_name(const ServerMessage& m);

// Field checks shared with the server (which checks ids again before lookups).
bool is_base64url(std::string_view s);
bool is_valid_room(std::string_view s);
bool is_valid_token(std::string_view s);  // join and resume tokens
bool is_valid_nameplate(std::string_view s);
bool is_valid_payload(std::string_view s);

}  // namespace ferry::protocol
