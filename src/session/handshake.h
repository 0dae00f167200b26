// The session handshake for one peer: CPace, then explicit key confirmation, then the keys.
//
//   A (room creator, CPace initiator)                      B (joiner, CPace responder)
//                                                           start_joiner: nonce_b sampled
//     <-- HELLO:       method (1) | nonce_b (16) ----------  (relay kind HELLO, see app/session.h)
//   start_creator: nonce_a, sid, g, Ya = ya*g
//     --- 1 share_a:   v | 1 | nonce_a (16) | Ya (32) ---->
//                                                           sid, g, yb, Yb; K = yb*Ya, ISK, keys
//     <-- 2 share_b:   v | 2 | Yb (32) | tag_B (32) -------
//   K = ya*Yb, ISK, keys
//     --- 3 confirm_a: v | 3 | tag_A (32) ---------------->  (sent even if tag_B failed, so
//   check tag_B: Confirmed or Failed(wrong_password)           that B learns it from its own check)
//                                                           check tag_A: Confirmed or Failed
//
//   v = kHandshakeVersion. g comes from PRS (the link secret's 16 bytes, or the short code's
//   canonical words), CI = lv_cat("ferry-v2", method, "creator", "joiner") and
//   sid = BLAKE2b-256("ferry-sid-v2" || room id || nonce_b || nonce_a): the join method and the
//   roles are bound into the generator, and the session id is fresh for every run from
//   randomness both sides contribute, so no party (the server, which chose the room id,
//   included) can make two runs share a sid. Tags are crypto::confirm_tag over CPace's
//   sid_output, under per-role keys, so a reflected tag fails.
//
// These messages travel through the signalling server (as opaque blobs) before any key exists;
// they reveal nothing about the password: an active attacker learns only whether one guess per
// run was right. If A finds B's share invalid it sends nothing more. The core has no clock: the
// application times a handshake out (app::SecureChannel, kHandshakeTimeoutMs). Nothing but these
// messages is accepted before Confirmed, and every error is final (state Failed): a new attempt
// needs a new Handshake, so each attempt is one guess.
//
// Usage: B calls start_joiner() and sends hello(); A parses it (parse_hello) and calls
// start_creator(). Feed the peer's messages to receive(); after each call, and after start,
// send what take_outgoing() returns, in order, until it is empty. Once state() is Confirmed,
// keys(), signal_sender(), signal_receiver() and sas_words() are available.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/cpace.h"
#include "crypto/key_schedule.h"
#include "crypto/sas.h"
#include "crypto/sealed_channel.h"
#include "session/ids.h"
#include "session/short_code.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::session {

// First byte of every handshake message; a peer running another version gets a clear error.
// Version 2 added the nonces (fresh sid) and the method and roles in CI.
constexpr uint8_t kHandshakeVersion = 2;
// CPace channel identifier prefix: binds the exchange to this protocol and version; the join
// method and the roles follow it in CI (channel_id()).
constexpr std::string_view kChannelId = "ferry-v2";
// Domain label for the CPace session id derived from the room id and both nonces.
constexpr std::string_view kSidLabel = "ferry-sid-v2";
// Each side's contribution to the sid: 128 bits make a repeat across runs negligible.
constexpr size_t kHandshakeNonceBytes = 16;

// How the joiner got in, which fixes the CPace password both sides must use. kPassword: a
// password room (its link and code carry no secret; the person types the room's password).
// kNearby: a nearby device invited by the creator (protocol/nearby.h). Nearby devices share no
// secret, so its password is public (password_for_nearby): CPace still gives fresh keys, but
// whoever relays the handshake (the server) could run it with each side; only comparing the
// verification words shows that. The creator accepts it only from a device it invited.
enum class JoinMethod : uint8_t { kLink = 1, kCode = 2, kPassword = 3, kNearby = 4 };
std::string_view to_string(JoinMethod method);  // "link", "code", "password", "nearby"

// B's first message (relayed as app::RelayKind::kHello): the password it holds, and its nonce.
struct Hello {
  JoinMethod method = JoinMethod::kLink;
  std::array<uint8_t, kHandshakeNonceBytes> nonce{};
};
constexpr size_t kHelloBytes = 1 + kHandshakeNonceBytes;
// Strict: exactly kHelloBytes, a known method. Error "malformed_hello".
Result<Hello> parse_hello(ByteView body);
Bytes serialize_hello(const Hello& hello);

enum class HandshakeMessageType : uint8_t { ShareA = 1, ShareB = 2, ConfirmA = 3 };

// Exact sizes, in bytes, of the three messages: version and type, then the fixed fields.
constexpr size_t kHandshakeHeaderBytes = 2;
constexpr size_t kShareAMessageBytes =
    kHandshakeHeaderBytes + kHandshakeNonceBytes + crypto::kCpacePointBytes;
constexpr size_t kShareBMessageBytes =
    kHandshakeHeaderBytes + crypto::kCpacePointBytes + crypto::kConfirmTagBytes;
constexpr size_t kConfirmAMessageBytes = kHandshakeHeaderBytes + crypto::kConfirmTagBytes;
constexpr size_t kMaxHandshakeMessageBytes = kShareBMessageBytes;

// The CPace password (PRS) for each way of joining.
Bytes password_from_link_secret(const LinkSecret& secret);
Bytes password_from_short_code(const ShortCode& code);
// A password room's password, as typed (UTF-8, exact: no trimming or case folding, so what the
// creator typed is what the joiner must type).
Bytes password_from_room_password(std::string_view password);
// The fixed, public password of a nearby join (kNearby).
Bytes password_for_nearby();
// The CPace session id of one run: BLAKE2b-256(kSidLabel || room id || nonce_b || nonce_a).
Bytes session_id(const RoomId& room, ByteView nonce_b, ByteView nonce_a);
// The CPace channel identifier: lv_cat(kChannelId, method, "creator", "joiner").
Bytes channel_id(JoinMethod method);

class Handshake {
 public:
  enum class State {
    AwaitingShareA,    // B: started, waiting for A's share
    AwaitingShareB,    // A: share sent, waiting for B's share and tag
    AwaitingConfirmA,  // B: share and tag sent, waiting for A's tag
    Confirmed,         // both tags verified (from this side's view): keys may be used
    Failed,            // final; error() says why
  };

  // Error codes from receive() (and error() once Failed):
  //   wrong_password       the peer's confirmation tag did not verify
  //   invalid_point        the peer's share is not a valid, non-identity group element
  //   malformed_handshake  wrong length or unknown message type
  //   unsupported_version  the peer speaks another handshake version
  //   unexpected_message   a message that does not fit the current state (replayed,
  //                        reordered, reflected, or anything after the end; after Confirmed
  //                        it is refused but does not undo the confirmation)
  // Starting fails with empty_password, or if CPace cannot start (bad_random: a broken random
  // function).
  // B: samples its nonce; send hello() first. CPace starts when A's share (with A's nonce)
  // arrives.
  static Result<Handshake> start_joiner(const RoomId& room, JoinMethod method, ByteView password,
                                        const RandomFn& rng);
  // A: answers B's HELLO; share A is queued in take_outgoing().
  static Result<Handshake> start_creator(const RoomId& room, const Hello& hello,
                                         ByteView password, const RandomFn& rng);

  Handshake(Handshake&&) = default;
  Handshake& operator=(Handshake&&) = default;
  ~Handshake();

  // One message from the peer. On error the state is Failed; take_outgoing() may still hold a
  // last message to send (A's tag, so B can detect a wrong password itself).
  Status receive(ByteView message);
  // Next message to send to the peer, if any.
  std::optional<Bytes> take_outgoing();

  State state() const { return state_; }
  crypto::Role role() const { return role_; }
  JoinMethod method() const { return method_; }
  // B only: the HELLO body to send before anything else.
  Bytes hello() const;
  bool confirmed() const { return state_ == State::Confirmed; }
  bool failed() const { return state_ == State::Failed; }
  // The error that ended the handshake; only when failed().
  const Error& error() const;

  // Only once confirmed():
  const crypto::SessionKeys& keys() const;
  crypto::SealedSender& signal_sender();
  crypto::SealedReceiver& signal_receiver();
  const crypto::SasBytes& sas_bytes() const;
  std::string sas_words() const;

 private:
  Handshake(crypto::Role role, const RoomId& room, JoinMethod method);
  Status fail(Error error);
  Status on_share_a(ByteView body);
  Status on_share_b(ByteView body);
  Status on_confirm_a(ByteView body);
  // Runs CPace's last step and derives the keys; Error on an invalid share.
  Status finish_cpace(ByteView peer_share);
  void confirm();
  Bytes make_message(HandshakeMessageType type, std::initializer_list<ByteView> fields) const;

  crypto::Role role_;
  State state_;
  RoomId room_;
  JoinMethod method_;
  std::array<uint8_t, kHandshakeNonceBytes> nonce_{};  // this side's
  Bytes password_;  // B only, until A's share arrives; wiped then (and on failure)
  RandomFn rng_;    // B only, for its scalar once A's share arrives
  std::optional<crypto::Cpace> cpace_;  // dropped (and wiped) once used
  std::optional<crypto::SessionKeys> keys_;
  Bytes transcript_;  // CPace sid_output, input to confirmation tags and the SAS
  std::optional<crypto::SealedSender> sender_;
  std::optional<crypto::SealedReceiver> receiver_;
  crypto::SasBytes sas_{};
  std::deque<Bytes> outbox_;
  std::optional<Error> error_;
};

std::string_view to_string(Handshake::State state);

}  // namespace ferry::session
