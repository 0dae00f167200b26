// The handshake state machine (see handshake.h for the message flow).
#include "session/handshake.h"

#include <sodium.h>

#include <cassert>

#include "crypto/blake2b.h"

namespace ferry::session {
namespace {

using crypto::Role;
using State = Handshake::State;

Error unexpected(std::string_view what, State state) {
  return make_error("unexpected_message", "Received " + std::string(what) +
                                              " while the handshake was " +
                                              std::string(to_string(state)) +
                                              "; it was replayed, reordered or misdirected.");
}

const char* message_name(HandshakeMessageType type) {
  switch (type) {
    case HandshakeMessageType::ShareA:
      return "the creator's key share";
    case HandshakeMessageType::ShareB:
      return "the joiner's key share";
    case HandshakeMessageType::ConfirmA:
      return "the creator's key confirmation";
  }
  return "an unknown message";
}

size_t expected_size(HandshakeMessageType type) {
  switch (type) {
    case HandshakeMessageType::ShareA:
      return kShareAMessageBytes;
    case HandshakeMessageType::ShareB:
      return kShareBMessageBytes;
    case HandshakeMessageType::ConfirmA:
      return kConfirmAMessageBytes;
  }
  return 0;
}

Error wrong_password() {
  return make_error("wrong_password",
                    "The two sides used different codes or links, so the keys do not match. "
                    "Check the code (or open the link again) and retry.");
}

}  // namespace

std::string_view to_string(Handshake::State state) {
  switch (state) {
    case State::AwaitingShareA:
      return "waiting for the creator's key share";
    case State::AwaitingShareB:
      return "waiting for the joiner's key share";
    case State::AwaitingConfirmA:
      return "waiting for the creator's key confirmation";
    case State::Confirmed:
      return "confirmed";
    case State::Failed:
      return "failed";
  }
  return "unknown";
}

Bytes password_from_link_secret(const LinkSecret& secret) {
  return secret.bytes();
}

Bytes password_from_short_code(const ShortCode& code) {
  const std::string words = code.password();
  return Bytes(words.begin(), words.end());
}

Bytes password_from_room_password(std::string_view password) {
  return Bytes(password.begin(), password.end());
}

Bytes password_for_nearby() {
  constexpr std::string_view kNearbyPassword = "ferry-nearby-v1: no shared secret, compare the words";
  return Bytes(kNearbyPassword.begin(), kNearbyPassword.end());
}

std::string_view to_string(JoinMethod method) {
  switch (method) {
    case JoinMethod::kLink: return "link";
    case JoinMethod::kCode: return "code";
    case JoinMethod::kPassword: return "password";
    case JoinMethod::kNearby: return "nearby";
  }
  return "link";
}

Result<Hello> parse_hello(ByteView body) {
  if (body.size() != kHelloBytes || (body[0] != static_cast<uint8_t>(JoinMethod::kLink) &&
                                     body[0] != static_cast<uint8_t>(JoinMethod::kCode) &&
                                     body[0] != static_cast<uint8_t>(JoinMethod::kPassword) &&
                                     body[0] != static_cast<uint8_t>(JoinMethod::kNearby))) {
    return make_error("malformed_hello", "The other device's first message is not a valid hello.");
  }
  Hello h;
  h.method = static_cast<JoinMethod>(body[0]);
  std::copy(body.begin() + 1, body.end(), h.nonce.begin());
  return h;
}

Bytes serialize_hello(const Hello& hello) {
  Bytes out(kHelloBytes);
  out[0] = static_cast<uint8_t>(hello.method);
  std::copy(hello.nonce.begin(), hello.nonce.end(), out.begin() + 1);
  return out;
}

Bytes session_id(const RoomId& room, ByteView nonce_b, ByteView nonce_a) {
  Bytes input(kSidLabel.begin(), kSidLabel.end());
  input.insert(input.end(), room.str().begin(), room.str().end());
  input.insert(input.end(), nonce_b.begin(), nonce_b.end());
  input.insert(input.end(), nonce_a.begin(), nonce_a.end());
  const auto digest = crypto::blake2b_256(input);
  return Bytes(digest.begin(), digest.end());
}

Bytes channel_id(JoinMethod method) {
  return crypto::cpace_lv_cat({as_bytes(kChannelId), as_bytes(to_string(method)),
                               as_bytes("creator"), as_bytes("joiner")});
}

namespace {
Status check_password(ByteView password) {
  if (password.empty()) return make_error("empty_password", "Type the password to use for this room.");
  return Ok{};
}
}  // namespace

Result<Handshake> Handshake::start_joiner(const RoomId& room, JoinMethod method, ByteView password,
                                          const RandomFn& rng) {
  if (auto st = check_password(password); !st) return st.error();
  Handshake hs(Role::Responder, room, method);
  rng(hs.nonce_.data(), hs.nonce_.size());
  hs.password_.assign(password.begin(), password.end());
  hs.rng_ = rng;
  return hs;
}

Result<Handshake> Handshake::start_creator(const RoomId& room, const Hello& hello,
                                           ByteView password, const RandomFn& rng) {
  if (auto st = check_password(password); !st) return st.error();
  Handshake hs(Role::Initiator, room, hello.method);
  rng(hs.nonce_.data(), hs.nonce_.size());
  const Bytes sid = session_id(room, hello.nonce, hs.nonce_);
  // Empty associated data: the IR transcript already orders the shares by role.
  auto cpace = crypto::Cpace::start(Role::Initiator, password, channel_id(hello.method), sid,
                                    ByteView(), rng);
  if (!cpace) return cpace.error();
  hs.cpace_.emplace(std::move(cpace).value());
  hs.outbox_.push_back(
      hs.make_message(HandshakeMessageType::ShareA, {hs.nonce_, hs.cpace_->share()}));
  return hs;
}

Handshake::Handshake(Role role, const RoomId& room, JoinMethod method)
    : role_(role),
      state_(role == Role::Initiator ? State::AwaitingShareB : State::AwaitingShareA),
      room_(room),
      method_(method) {}

Handshake::~Handshake() { sodium_memzero(password_.data(), password_.size()); }

Bytes Handshake::hello() const {
  assert(role_ == Role::Responder);
  return serialize_hello(Hello{method_, nonce_});
}

Bytes Handshake::make_message(HandshakeMessageType type,
                              std::initializer_list<ByteView> fields) const {
  Bytes out{kHandshakeVersion, static_cast<uint8_t>(type)};
  for (auto f : fields) out.insert(out.end(), f.begin(), f.end());
  assert(out.size() == expected_size(type));
  return out;
}

Status Handshake::fail(Error error) {
  state_ = State::Failed;
  sodium_memzero(password_.data(), password_.size());
  password_.clear();
  cpace_.reset();
  keys_.reset();
  sender_.reset();
  receiver_.reset();
  if (!error_) error_ = error;
  return error;
}

Status Handshake::receive(ByteView message) {
  if (state_ == State::Failed || state_ == State::Confirmed) {
    // Do not overwrite the first error, and do not let a late message undo a success.
    return make_error("unexpected_message",
                      "Received a handshake message after the handshake had " +
                          std::string(state_ == State::Failed ? "failed." : "finished."));
  }
  if (message.size() < kHandshakeHeaderBytes) {
    return fail(make_error("malformed_handshake", "Handshake message is too short."));
  }
  if (message[0] != kHandshakeVersion) {
    return fail(make_error("unsupported_version",
                           "The other side uses handshake version " + std::to_string(message[0]) +
                               " and this one " + std::to_string(kHandshakeVersion) +
                               "; both need the same version of Ferry."));
  }
  const auto type = static_cast<HandshakeMessageType>(message[1]);
  if (type != HandshakeMessageType::ShareA && type != HandshakeMessageType::ShareB &&
      type != HandshakeMessageType::ConfirmA) {
    return fail(make_error("malformed_handshake",
                           "Unknown handshake message type " + std::to_string(message[1]) + "."));
  }
  if (message.size() != expected_size(type)) {
    return fail(make_error("malformed_handshake",
                           std::string("Handshake message (") + message_name(type) + ") has " +
                               std::to_string(message.size()) + " bytes instead of " +
                               std::to_string(expected_size(type)) + "."));
  }
  const ByteView body = message.subspan(kHandshakeHeaderBytes);
  switch (type) {
    case HandshakeMessageType::ShareA:
      if (state_ != State::AwaitingShareA) return fail(unexpected(message_name(type), state_));
      return on_share_a(body);
    case HandshakeMessageType::ShareB:
      if (state_ != State::AwaitingShareB) return fail(unexpected(message_name(type), state_));
      return on_share_b(body);
    case HandshakeMessageType::ConfirmA:
      if (state_ != State::AwaitingConfirmA) return fail(unexpected(message_name(type), state_));
      return on_confirm_a(body);
  }
  return fail(make_error("malformed_handshake", "Unknown handshake message."));
}

Status Handshake::finish_cpace(ByteView peer_share) {
  auto result = cpace_->finish(peer_share, ByteView());
  cpace_.reset();
  if (!result) {
    return make_error("invalid_point",
                      "The other side sent an invalid key share; the session was stopped. " +
                          result.error().message);
  }
  keys_ = crypto::derive_session_keys(result->isk, role_);
  transcript_.assign(result->sid_output.begin(), result->sid_output.end());
  return Ok{};
}

void Handshake::confirm() {
  sender_.emplace(keys_->send_signal, role_);
  receiver_.emplace(keys_->recv_signal,
                    role_ == Role::Initiator ? Role::Responder : Role::Initiator);
  sas_ = crypto::sas_bytes(keys_->sas, transcript_);
  state_ = State::Confirmed;
}

// B: A's share arrives (with A's nonce, which completes the sid): start CPace, answer with our
// share and our tag.
Status Handshake::on_share_a(ByteView body) {
  const ByteView nonce_a = body.subspan(0, kHandshakeNonceBytes);
  const Bytes sid = session_id(room_, nonce_, nonce_a);
  auto cpace = crypto::Cpace::start(Role::Responder, password_, channel_id(method_), sid,
                                    ByteView(), rng_);
  sodium_memzero(password_.data(), password_.size());
  password_.clear();
  if (!cpace) return fail(cpace.error());
  cpace_.emplace(std::move(cpace).value());
  const crypto::CpacePoint own_share = cpace_->share();
  auto st = finish_cpace(body.subspan(kHandshakeNonceBytes));
  if (!st) return fail(st.error());
  const auto tag = crypto::confirm_tag(*keys_, transcript_);
  outbox_.push_back(make_message(HandshakeMessageType::ShareB, {own_share, tag}));
  state_ = State::AwaitingConfirmA;
  return Ok{};
}

// A: B's share and tag arrive. Our tag goes out before we check B's, so that with a wrong
// password B also finds out from its own check; the tag reveals nothing about the password.
Status Handshake::on_share_b(ByteView body) {
  auto st = finish_cpace(body.subspan(0, crypto::kCpacePointBytes));
  if (!st) return fail(st.error());
  const auto tag = crypto::confirm_tag(*keys_, transcript_);
  outbox_.push_back(make_message(HandshakeMessageType::ConfirmA, {tag}));
  if (!crypto::verify_peer_confirm(*keys_, transcript_, body.subspan(crypto::kCpacePointBytes))) {
    return fail(wrong_password());
  }
  confirm();
  return Ok{};
}

// B: A's tag arrives.
Status Handshake::on_confirm_a(ByteView body) {
  if (!crypto::verify_peer_confirm(*keys_, transcript_, body)) return fail(wrong_password());
  confirm();
  return Ok{};
}

const Error& Handshake::error() const {
  assert(error_.has_value());
  return *error_;
}

const crypto::SessionKeys& Handshake::keys() const {
  assert(confirmed());
  return *keys_;
}

crypto::SealedSender& Handshake::signal_sender() {
  assert(confirmed());
  return *sender_;
}

crypto::SealedReceiver& Handshake::signal_receiver() {
  assert(confirmed());
  return *receiver_;
}

const crypto::SasBytes& Handshake::sas_bytes() const {
  assert(confirmed());
  return sas_;
}

std::string Handshake::sas_words() const {
  return session::sas_words(sas_bytes());
}

std::optional<Bytes> Handshake::take_outgoing() {
  if (outbox_.empty()) return std::nullopt;
  Bytes next = std::move(outbox_.front());
  outbox_.pop_front();
  return next;
}

}  // namespace ferry::session
