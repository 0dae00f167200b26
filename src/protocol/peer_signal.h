// The peer-to-peer signalling messages: what A and B say to each other inside sealed relay
// payloads (app/session.h, relay kind SEALED), once the handshake confirmed. The plaintext is a
// JSON object {"t": type, ...}; the sealing (crypto/sealed_channel.h) proves it came from the
// other device, but a device can still be buggy or compromised, so the parser is as strict as
// the server's: types checked, lengths bounded, unknown fields refused, nesting limited.
//
//   A -> B  offer   {"t":"offer","sdp":S,"gen":N,"fresh":bool}   fresh: from a new
//                                                              RTCPeerConnection, else an ICE restart
//   B -> A  answer  {"t":"answer","sdp":S,"gen":N}
//   both    ice     {"t":"ice","candidate":C|null,"gen":N}      null: end of candidates
//   B -> A  restart {"t":"restart"}                             B's network changed: A restarts ICE
//   A -> B  race    {"t":"race","gen":N}                        frames go through the server now,
//                                                              while attempt N goes on trying direct
//   A -> B  relay   {"t":"relay"}                               frames go through the server now;
//                                                              the direct attempt is over
//   B -> A  relay   {"t":"relay"}                               B was not on the relay when A's came:
//                                                              A's senders resume (HAVE)
//   A -> B  lane_offer  {"t":"lane_offer","lane":L,"sdp":S,"gen":N}  one more RTCPeerConnection
//                                                              for CHUNK frames (app/lanes.h)
//   B -> A  lane_answer {"t":"lane_answer","lane":L,"sdp":S,"gen":N}
//   both    lane_ice    {"t":"lane_ice","lane":L,"candidate":C|null,"gen":N}
//
// L is the lane: 1 .. kMaxLanes - 1 (lane 0 is the primary connection, which the plain offer,
// answer and ice messages negotiate); anything else is "bad_field".
//
// gen is A's connection attempt (one per RTCPeerConnection A builds); messages of an earlier
// attempt are ignored by the session. C is an RTCIceCandidateInit: "candidate" (string),
// "sdpMid" (string or null), "sdpMLineIndex" (integer or null), "usernameFragment" (string or
// null), and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.h"

namespace ferry::protocol {

// A sealed signalling plaintext: an SDP with many candidates stays far below this.
constexpr size_t kMaxPeerSignalBytes = 64 * 1024;
// SDP text: browsers produce a few KiB; the whole message bound leaves it this much.
constexpr size_t kMaxSdpChars = 60 * 1024;
// One candidate line ("candidate:... typ host ...") is about 100 characters; mids and ufrags
// are short tokens.
constexpr size_t kMaxCandidateChars = 1024;
constexpr size_t kMaxCandidateFieldChars = 256;
// Lanes (RTCPeerConnections carrying CHUNK frames), the primary connection included. Raw
// DataChannels over 4 connections moved 3.4-4.8x one at 50-150 ms RTT with 0.5 % loss
// (bench/wan); each lane costs a DTLS and SCTP stack in both browsers and a few sealed signals.
// B refuses lane numbers at or above it, so a peer cannot make us build more.
constexpr uint32_t kMaxLanes = 4;

struct IceCandidate {
  std::string candidate;
  std::optional<std::string> sdp_mid;
  std::optional<int64_t> sdp_mline_index;
  std::optional<std::string> username_fragment;
  bool operator==(const IceCandidate&) const = default;
};

namespace peer {
struct Offer {
  std::string sdp;
  uint64_t gen = 0;
  bool fresh = false;
  bool operator==(const Offer&) const = default;
};
struct Answer {
  std::string sdp;
  uint64_t gen = 0;
  bool operator==(const Answer&) const = default;
};
struct Ice {
  std::optional<IceCandidate> candidate;  // none: the end of candidates
  uint64_t gen = 0;
  bool operator==(const Ice&) const = default;
};
struct Restart {
  bool operator==(const Restart&) const = default;
};
struct Relay {
  bool operator==(const Relay&) const = default;
};
struct Race {
  uint64_t gen = 0;
  bool operator==(const Race&) const = default;
};
// The lane messages: the same negotiation for lane `lane` (1 .. kMaxLanes - 1) of attempt gen.
struct LaneOffer {
  uint32_t lane = 0;
  std::string sdp;
  uint64_t gen = 0;
  bool operator==(const LaneOffer&) const = default;
};
struct LaneAnswer {
  uint32_t lane = 0;
  std::string sdp;
  uint64_t gen = 0;
  bool operator==(const LaneAnswer&) const = default;
};
struct LaneIce {
  uint32_t lane = 0;
  std::optional<IceCandidate> candidate;  // none: the end of candidates
  uint64_t gen = 0;
  bool operator==(const LaneIce&) const = default;
};
}  // namespace peer

using PeerSignal = std::variant<peer::Offer, peer::Answer, peer::Ice, peer::Restart, peer::Relay, peer::Race,
                                peer::LaneOffer, peer::LaneAnswer, peer::LaneIce>;

// Errors: "too_large", "bad_json" (also too deep), "unknown_type", "missing_field", "bad_field",
// "unknown_field".
Result<PeerSignal> parse_peer_signal(std::string_view text);
std::string serialize(const PeerSignal& m);
std::string_view type_name(const PeerSignal& m);

// The browser's RTCSessionDescriptionInit / RTCIceCandidateInit JSON, as the platform hands it
// over, parsed with the same limits ("type" must be "offer" or "answer"); and back.
struct SessionDescription {
  std::string type;  // "offer" | "answer"
  std::string sdp;
};
Result<SessionDescription> parse_session_description(std::string_view json_text);
std::string serialize(const SessionDescription& d);
Result<IceCandidate> parse_ice_candidate(std::string_view json_text);
std::string serialize(const IceCandidate& c);

}  // namespace ferry::protocol
