// The secure channel's transitions (see secure_channel.h for the diagram and the rules).
#include "app/secure_channel.h"

#include <sodium.h>

#include <cassert>
#include <utility>

namespace ferry::app {

namespace {
using State = SecureChannel::State;
using Event = SecureChannel::Event;
}  // namespace

const char* to_string(SecureChannel::State state) {
  switch (state) {
    case State::kNoPeer:
      return "no_peer";
    case State::kHandshaking:
      return "handshaking";
    case State::kSecured:
      return "secured";
    case State::kRekeying:
      return "rekeying";
    case State::kFailed:
      return "failed";
  }
  return "failed";
}

SecureChannel::SecureChannel(bool creator, const session::RoomId& room, RandomFn rng)
    : creator_(creator), room_(room), rng_(std::move(rng)) {}

SecureChannel::~SecureChannel() {
  sodium_memzero(password_.data(), password_.size());
  sodium_memzero(room_password_.data(), room_password_.size());
}

SecureChannel SecureChannel::creator(const session::RoomId& room, const session::LinkSecret& secret,
                                     std::optional<session::ShortCode> code, RandomFn rng) {
  SecureChannel c(true, room, std::move(rng));
  c.secret_ = secret;
  c.code_ = std::move(code);
  return c;
}

SecureChannel SecureChannel::password_room(const session::RoomId& room, Bytes password, RandomFn rng) {
  SecureChannel c(true, room, std::move(rng));
  c.room_password_ = std::move(password);
  return c;
}

SecureChannel SecureChannel::joiner(const session::RoomId& room, JoinMethod method, Bytes password,
                                    RandomFn rng) {
  SecureChannel c(false, room, std::move(rng));
  c.method_ = method;
  c.password_ = std::move(password);
  return c;
}

void SecureChannel::relay(RelayKind kind, Bytes body) {
  outbox_.push_back(Outgoing{kind, std::move(body), std::nullopt});
}

void SecureChannel::report(protocol::ClientMessage m) {
  outbox_.push_back(Outgoing{std::nullopt, {}, std::move(m)});
}

void SecureChannel::flush_pending() {
  while (auto m = pending_->take_outgoing()) relay(RelayKind::kHandshake, std::move(*m));
}

std::vector<SecureChannel::Outgoing> SecureChannel::take_outgoing() {
  std::vector<Outgoing> out = std::move(outbox_);
  outbox_.clear();
  return out;
}

Bytes SecureChannel::password_for(JoinMethod method) const {
  if (method == JoinMethod::kPassword) return room_password_;
  if (method == JoinMethod::kNearby) return session::password_for_nearby();
  if (method == JoinMethod::kLink) return session::password_from_link_secret(*secret_);
  return session::password_from_short_code(*code_);
}

void SecureChannel::set_code(session::ShortCode code) {
  code_ = std::move(code);
  code_failures_ = 0;
  code_dead_ = false;
}

// --- joiner ---------------------------------------------------------------------------------

void SecureChannel::start(double now_ms) {
  assert(!creator_);
  if (state_ == State::kFailed || live_) return;
  auto hs = session::Handshake::start_joiner(room_, method_, password_, rng_);
  if (!hs) {
    error_ = hs.error();
    state_ = State::kFailed;
    return;
  }
  pending_.emplace(std::move(hs).value());
  pending_since_ms_ = now_ms;
  state_ = State::kHandshaking;
  relay(RelayKind::kHello, pending_->hello());
}

// --- creator --------------------------------------------------------------------------------

Event SecureChannel::refuse(std::string why) {
  note_ = std::move(why);
  // Free the seat of whoever sent it, unless a confirmed joiner holds it (the server would not
  // evict that one, and the HELLO may have been forged by the server itself).
  if (!live_) report(protocol::RejectPeer{});
  return Event::kAttemptFailed;
}

Event SecureChannel::on_hello(ByteView body, double now_ms) {
  if (!creator_) {
    note_ = "Ignored a hello (only the joiner says hello)";
    return Event::kNone;
  }
  auto hello = session::parse_hello(body);
  if (!hello) return refuse("Ignored a malformed hello");
  const JoinMethod method = hello->method;
  if (confirmed_method_ && method != *confirmed_method_) {
    return refuse(std::string("Refused a ") + std::string(session::to_string(method)) +
                  " attempt: the other device joined by " +
                  std::string(session::to_string(*confirmed_method_)));
  }
  const bool password_room = !room_password_.empty();
  if (password_room != (method == JoinMethod::kPassword)) {
    return refuse(password_room ? std::string("Refused an attempt by ") + std::string(session::to_string(method)) +
                                      ": this room takes its password"
                                : "Refused a password attempt: this room has no password");
  }
  if (method == JoinMethod::kPassword && code_dead_) {
    return refuse("Refused an attempt with the password: it no longer works");
  }
  if (method == JoinMethod::kCode && (code_dead_ || !code_)) {
    return refuse("Refused an attempt with the code: it no longer works");
  }
  if (method == JoinMethod::kLink && !secret_) return refuse("Refused an attempt by link: this room has no link secret");
  if (method == JoinMethod::kNearby && !nearby_allowed_) {
    return refuse("Refused a nearby attempt: this room invited no nearby device");
  }
  auto hs = session::Handshake::start_creator(room_, *hello, password_for(method), rng_);
  if (!hs) return refuse("Could not start the secure handshake: " + hs.error().message);
  // A HELLO during a half-done handshake replaces it: nothing was guessed in that one yet (a
  // guess is a share B, which is answered and counted at once).
  pending_.emplace(std::move(hs).value());
  pending_since_ms_ = now_ms;
  state_ = live_ ? State::kRekeying : State::kHandshaking;
  note_ = live_ ? "The other device is securing the connection again; the current keys stay until it "
                  "confirms, and sending waits"
                : "";
  flush_pending();
  return Event::kNone;
}

Event SecureChannel::attempt_failed(const Error& error) {
  const JoinMethod method = pending_->method();
  pending_.reset();
  state_ = settled();
  note_ = error.code == "wrong_password"
              ? std::string("Someone tried to join with a wrong ") + std::string(session::to_string(method))
              : "A joining device failed the secure handshake (" + error.code + ")";
  report(protocol::PakeFailed{});
  // The low-entropy secrets have a budget: the short code, and a password room's password.
  // A link secret can't be guessed; a nearby join has no secret to guess.
  if (method == JoinMethod::kLink || method == JoinMethod::kNearby) return Event::kAttemptFailed;
  ++code_failures_;
  if (code_failures_ < kMaxCodeFailures || code_dead_) return Event::kAttemptFailed;
  code_dead_ = true;
  return Event::kCodeDied;
}

// --- both -----------------------------------------------------------------------------------

Event SecureChannel::confirmed() {
  const bool rekey = live_.has_value();
  live_ = std::move(pending_);
  pending_.reset();
  state_ = State::kSecured;
  note_.clear();
  const std::string words = live_->sas_words();
  if (first_sas_.empty()) first_sas_ = previous_sas_.empty() ? words : previous_sas_;
  sas_changed_ = words != first_sas_;
  if (creator_) {
    if (!confirmed_method_) confirmed_method_ = live_->method();
    report(protocol::PakeConfirmed{});
  } else {
    confirmed_method_ = method_;
    sodium_memzero(password_.data(), password_.size());
  }
  return rekey ? Event::kRekeyed : Event::kConfirmed;
}

Event SecureChannel::on_handshake(ByteView body, double now_ms) {
  (void)now_ms;
  if (!pending_) {
    note_ = "Ignored an unexpected handshake message";
    return Event::kNone;
  }
  note_.clear();
  const Status st = pending_->receive(body);
  flush_pending();  // A's tag goes out even when B's failed (handshake.h)
  if (st) return pending_->confirmed() ? confirmed() : Event::kNone;
  if (creator_) return attempt_failed(st.error());
  pending_.reset();
  state_ = State::kFailed;
  if (st.error().code == "wrong_password") {
    error_ = make_error("wrong_password",
                        method_ == JoinMethod::kCode       ? "Wrong code. Check the code with the sender and try again."
                        : method_ == JoinMethod::kPassword ? "Wrong password. Check the password with the sender and try again."
                        : method_ == JoinMethod::kNearby   ? "The nearby device's handshake did not match. Try again."
                                                           : "This link does not match the session. Ask the sender for the link again.");
  } else {
    error_ = make_error(st.error().code, "The secure handshake failed: " + st.error().message);
  }
  return Event::kFailed;
}

Event SecureChannel::tick(double now_ms) {
  if (!pending_ || now_ms - pending_since_ms_ <= kHandshakeTimeoutMs) return Event::kNone;
  pending_.reset();
  if (creator_) {
    // Not a guess (no share B came), so nothing is counted; the seat is freed for someone else.
    note_ = "The joining device did not finish the secure handshake in time";
    if (!live_) report(protocol::RejectPeer{});
    state_ = settled();
    return Event::kAttemptFailed;
  }
  state_ = State::kFailed;
  error_ = make_error("handshake_timeout",
                      "The other device did not answer the secure handshake. Check that the link "
                      "or code is current and try again.");
  return Event::kFailed;
}

void SecureChannel::on_peer_left() {
  if (!pending_) return;
  pending_.reset();
  if (state_ != State::kFailed) state_ = settled();
}

}  // namespace ferry::app
