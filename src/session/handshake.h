// The session handshake for one peer: CPace, then explicit key confirmation, then the keys.
//
//   A (room creator, CPace initiator)                      B (joiner, CPace responder)
//   start: Ya = ya*g                                        start: yb sampled, waits
//     --- 1 share_a:   v | 1 | Ya (32) ------------------->
//                                                           K = yb*Ya, ISK, keys
//     <-- 2 share_b:   v | 2 | Yb (32) | tag_B (32) -------
//   K = ya*Yb, ISK, keys
//     --- 3 confirm_a: v | 3 | tag_A (32) ---------------->  (sent even if tag_B failed, so
//   check tag_B: Confirmed or Failed(wrong_password)           that B learns it from its own check)
//                                                           check tag_A: Confirmed or Failed
//
//   v = kHandshakeVersion. g comes from PRS (the link secret's 16 bytes, or the short code's
//   canonical words), CI = kChannelId and sid = BLAKE2b-256("ferry-sid-v1" || room id). Tags are
//   crypto::confirm_tag over CPace's sid_output, under per-role keys, so a reflected tag fails.
//
// These messages travel through the signalling server (as opaque blobs) before any key exists;
// they reveal nothing about the password: an active attacker learns only whether one guess per
// run was right. If A finds B's share invalid it sends nothing more, and B waits until the
// application gives up (the core has no clock). Nothing but these three messages is accepted
// before Confirmed, and every error is final (state Failed): a new attempt needs a new
// Handshake, so each attempt is one guess.
//
// Usage: feed the peer's messages to receive(); after each call, and after start(), send what
// take_outgoing() returns, in order, until it is empty. Once state() is Confirmed, keys(),
// signal_sender(), signal_receiver() and sas_words() are available.
#pragma once

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
constexpr uint8_t kHandshakeVersion = 1;
// CPace channel identifier: binds the exchange to this protocol and version.
constexpr std::string_view kChannelId = "ferry-v1";
// Domain label for the CPace session id derived from the room id.
constexpr std::string_view kSidLabel = "ferry-sid-v1";

enum class HandshakeMessageType : uint8_t { ShareA = 1, ShareB = 2, ConfirmA = 3 };

// Exact sizes, in bytes, of the three messages: version and type, then the fixed fields.
constexpr size_t kHandshakeHeaderBytes = 2;
constexpr size_t kShareAMessageBytes = kHandshakeHeaderBytes + crypto::kCpacePointBytes;
constexpr size_t kShareBMessageBytes =
    kHandshakeHeaderBytes + crypto::kCpacePointBytes + crypto::kConfirmTagBytes;
constexpr size_t kConfirmAMessageBytes = kHandshakeHeaderBytes + crypto::kConfirmTagBytes;
constexpr size_t kMaxHandshakeMessageBytes = kShareBMessageBytes;

// The CPace password (PRS) for each way of joining.
Bytes password_from_link_secret(const LinkSecret& secret);
Bytes password_from_short_code(const ShortCode& code);
// The CPace session id for a room.
Bytes session_id_for_room(const RoomId& room);

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
  // start() fails with empty_password, or if CPace cannot start (bad_random: a broken random
  // function).
  static Result<Handshake> start(crypto::Role role, const RoomId& room, ByteView password,
                                 const RandomFn& rng);

  Handshake(Handshake&&) = default;
  Handshake& operator=(Handshake&&) = default;

  // One message from the peer. On error the state is Failed; take_outgoing() may still hold a
  // last message to send (A's tag, so B can detect a wrong password itself).
  Status receive(ByteView message);
  // Next message to send to the peer, if any.
  std::optional<Bytes> take_outgoing();

  State state() const { return state_; }
  crypto::Role role() const { return role_; }
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
  Handshake(crypto::Role role, crypto::Cpace cpace);
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
