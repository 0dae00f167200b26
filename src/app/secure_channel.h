// The secure channel of one session: the CPace handshakes (session/handshake.h), the keys they
// give, the creator's attempt budget, and re-keying beside the live keys. Plain logic: the
// session hands in relay messages and the time, and sends what take_outgoing() returns.
//
//   creator (A):
//     kNoPeer --HELLO--> kHandshaking --confirmed--> kSecured --HELLO--> kRekeying
//        ^                 |  failed (counted) / timed out /                |  confirmed: the
//        +-----------------+  the joiner left                               |  keys are replaced
//                                     kSecured <--failed / timed out / left-+
//   joiner (B):
//     kNoPeer --start()--> kHandshaking --confirmed--> kSecured
//        ^   the creator left  |  failed / timed out
//        +---------------------+----------------------------> kFailed (final)
//
// Who can send what, and what it costs to believe it:
// - A HELLO is unauthenticated: anyone in the joiner's seat, or the server, can send one. It
//   only ever starts a handshake. With live keys, that handshake runs beside them (kRekeying)
//   and the live keys stay until it confirms, so a forged HELLO tears nothing down.
// - The creator limits guesses itself, whatever the server does: kMaxCodeFailures failed
//   attempts per short code, or per password in a password room (a wrong tag or an invalid
//   share both count), then the code (the password) is dead
//   and later code HELLOs get no share at all, only a reject_peer. A fresh code (set_code) gets a
//   fresh budget. Once a joiner confirmed, only its method is accepted for the rest of the
//   session (a code can't be guessed beside a link).
// - Every handshake times out after kHandshakeTimeoutMs on both sides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/signal.h"
#include "session/handshake.h"
#include "session/ids.h"
#include "session/short_code.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::app {

// Relay payload kinds (first byte of a decoded relay payload).
enum class RelayKind : uint8_t { kHello = 1, kHandshake = 2, kSealed = 3 };
using session::JoinMethod;

// Failed attempts per short code before the creator stops answering it: with 2 words of 10 bits,
// 3 guesses succeed with probability 3 / 2^20.
constexpr int kMaxCodeFailures = 3;
// A handshake is three messages through the server; this is far beyond any real round trip and
// short enough that a silent squatter can't hold the creator's attention.
constexpr double kHandshakeTimeoutMs = 30000;

class SecureChannel {
 public:
  enum class State { kNoPeer, kHandshaking, kSecured, kRekeying, kFailed };
  // What a call changed, for the session to act on.
  enum class Event {
    kNone,
    kConfirmed,      // the first keys are live
    kRekeyed,        // new keys replaced the live ones (the verification words changed)
    kAttemptFailed,  // A: an attempt failed or was refused; the live keys (if any) stay
    kCodeDied,       // A: that failed attempt used up the short code's budget
    kFailed,         // B: final, error() says why
  };
  // Something to send: a relay payload (kind + body) or a message to the server itself.
  struct Outgoing {
    std::optional<RelayKind> relay;
    Bytes body;
    std::optional<protocol::ClientMessage> server;
  };

  // The creator holds both passwords (the code may be replaced by set_code).
  static SecureChannel creator(const session::RoomId& room, const session::LinkSecret& secret,
                               std::optional<session::ShortCode> code, RandomFn rng);
  // A password room's creator holds only the room's password: its link and code carry no secret,
  // every joiner comes with JoinMethod::kPassword, and the password has the code's budget
  // (kMaxCodeFailures wrong guesses, then it no longer works: code_dead()).
  static SecureChannel password_room(const session::RoomId& room, Bytes password, RandomFn rng);
  // The joiner holds the one password it joined with.
  static SecureChannel joiner(const session::RoomId& room, JoinMethod method, Bytes password,
                              RandomFn rng);
  SecureChannel(SecureChannel&&) = default;
  SecureChannel& operator=(SecureChannel&&) = default;
  ~SecureChannel();

  // B: says HELLO and waits for A's share.
  void start(double now_ms);
  Event on_hello(ByteView body, double now_ms);
  Event on_handshake(ByteView body, double now_ms);
  Event tick(double now_ms);
  // The other device left the server: a half-done handshake is dead (the live keys stay).
  void on_peer_left();
  // A: a fresh short code (after the old one died), with a fresh budget.
  void set_code(session::ShortCode code);
  // A: this room invited a nearby device, so a HELLO{nearby} (the public password) is answered.
  void allow_nearby() { nearby_allowed_ = true; }
  // B after a reload: the words its previous keys showed, so a change is noticed.
  void set_previous_sas(std::string words) { previous_sas_ = std::move(words); }

  std::vector<Outgoing> take_outgoing();

  State state() const { return state_; }
  bool secured() const { return live_.has_value(); }
  bool rekeying() const { return state_ == State::kRekeying; }
  bool code_dead() const { return code_dead_; }
  int code_failures() const { return code_failures_; }
  std::optional<JoinMethod> confirmed_method() const { return confirmed_method_; }
  // Only while secured():
  const crypto::SessionKeys& keys() const { return live_->keys(); }
  crypto::SealedSender& signal_sender() { return live_->signal_sender(); }
  crypto::SealedReceiver& signal_receiver() { return live_->signal_receiver(); }
  std::string sas_words() const { return live_ ? live_->sas_words() : std::string(); }
  // The words shown changed since the first keys of this session (or of the tab, set_previous_sas).
  bool sas_changed() const { return sas_changed_; }
  // Only once state() is kFailed.
  const Error& error() const { return *error_; }
  // What the last call did that the activity log should say ("" for nothing); taken once.
  std::string take_note() { return std::exchange(note_, std::string()); }

 private:
  SecureChannel(bool creator, const session::RoomId& room, RandomFn rng);
  void relay(RelayKind kind, Bytes body);
  void report(protocol::ClientMessage m);
  void flush_pending();
  State settled() const { return live_ ? State::kSecured : State::kNoPeer; }
  // A: refuses a HELLO without running CPace (nothing is guessed, nothing counted).
  Event refuse(std::string why);
  Event attempt_failed(const Error& error);
  Event confirmed();
  Bytes password_for(JoinMethod method) const;

  bool creator_;
  session::RoomId room_;
  RandomFn rng_;
  State state_ = State::kNoPeer;
  std::optional<session::LinkSecret> secret_;  // A
  std::optional<session::ShortCode> code_;     // A
  Bytes room_password_;                        // A of a password room: wiped on destruction
  JoinMethod method_ = JoinMethod::kLink;      // B: how it joined
  Bytes password_;                             // B: wiped on destruction
  int code_failures_ = 0;
  bool code_dead_ = false;
  bool nearby_allowed_ = false;  // A: allow_nearby()
  std::optional<JoinMethod> confirmed_method_;
  std::optional<session::Handshake> live_;
  std::optional<session::Handshake> pending_;
  double pending_since_ms_ = 0;
  bool sas_changed_ = false;
  std::string first_sas_;
  std::string previous_sas_;
  std::optional<Error> error_;
  std::string note_;
  std::vector<Outgoing> outbox_;
};

const char* to_string(SecureChannel::State state);

}  // namespace ferry::app
