// Named WebSocket close codes of ferry-server (RFC 6455 leaves 4000-4999 to applications).
// The browser shows the name, so each refusal has exactly one code.
#pragma once

#include <cstdint>
#include <string_view>

namespace ferry::server {

enum class CloseCode : uint16_t {
  kShutdown = 4000,           // the server is stopping (SIGTERM/SIGINT)
  kMessageTooBig = 4001,      // one message above --max-message bytes
  kMessageRate = 4002,        // the connection's message token bucket ran dry
  kConnectionsPerIp = 4003,   // too many concurrent connections from one address
  kJoinsPerIp = 4004,         // the address's create/join token bucket ran dry
  kServerFull = 4005,         // --max-connections reached
  kRoomExpired = 4006,        // the room hit its unjoined expiry or hard cap
  kProtocol = 4007,           // a binary frame, or too many malformed envelopes in a row
  kReplaced = 4008,           // this peer rejoined on another connection
  kPakeFailed = 4009,         // the creator reported that this joiner failed the PAKE
  kUnconfirmed = 4010,        // this joiner did not complete the handshake within the confirm timeout
  kSeatTaken = 4011,          // this unconfirmed short-code joiner lost its seat to a link joiner
  kRejected = 4012,           // the creator turned this unconfirmed joiner away (reject_peer)
  kMoved = 4013,              // this instance drained (SIGTERM with --drain-grace): reconnect, resume elsewhere
  kJwtRequired = 4014,        // --jwt-required: this create/join needs a token and none was offered
  kJwtInvalid = 4015,         // the token failed a check (signature, algorithm, nbf, aud, iss, form)
  kJwtExpired = 4016,         // the token is signed correctly but its exp has passed
};

std::string_view close_reason(CloseCode code);

inline std::string_view close_reason(CloseCode code) {
  switch (code) {
    case CloseCode::kShutdown: return "shutdown";
    case CloseCode::kMessageTooBig: return "message_too_big";
    case CloseCode::kMessageRate: return "message_rate";
    case CloseCode::kConnectionsPerIp: return "connections_per_ip";
    case CloseCode::kJoinsPerIp: return "joins_per_ip";
    case CloseCode::kServerFull: return "server_full";
    case CloseCode::kRoomExpired: return "room_expired";
    case CloseCode::kProtocol: return "protocol_error";
    case CloseCode::kReplaced: return "replaced";
    case CloseCode::kPakeFailed: return "pake_failed";
    case CloseCode::kUnconfirmed: return "unconfirmed";
    case CloseCode::kSeatTaken: return "seat_taken";
    case CloseCode::kRejected: return "rejected";
    case CloseCode::kMoved: return "moved";
    case CloseCode::kJwtRequired: return "jwt_required";
    case CloseCode::kJwtInvalid: return "jwt_invalid";
    case CloseCode::kJwtExpired: return "jwt_expired";
  }
  return "unknown";
}

}  // namespace ferry::server
