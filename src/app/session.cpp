// The client's session logic. See session.h for the protocol diagram.
#include "app/session.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "protocol/frame.h"
#include "session/link.h"
#include "util/format.h"

namespace ferry::app {

namespace {

using nlohmann::json;

std::string ice_servers_to_json(const std::vector<protocol::IceServer>& servers) {
  json list = json::array();
  for (const auto& s : servers) {
    json o{{"urls", s.urls}};
    if (!s.username.empty()) o["username"] = s.username;
    if (!s.credential.empty()) o["credential"] = s.credential;
    list.push_back(std::move(o));
  }
  return list.dump();
}

// Server error codes (server/room_registry.cpp, shared_state.cpp), in words a person can act on.
std::string explain_server_error(const std::string& code, const std::string& message) {
  if (code == "join_refused") return "This link is not valid any more. Ask the sender for a new one.";
  if (code == "no_such_nameplate") {
    return "No session has this code. Check the number, or ask the sender for a new code.";
  }
  if (code == "nameplate_burned") {
    return "Too many wrong tries: this code no longer works. Ask the sender for a new one.";
  }
  if (code == "room_full") return "Someone else has already joined this session.";
  if (code == "no_nameplate") return "The server has no free code right now; the link still works.";
  if (code == "room_locked") {
    return "Too many wrong tries: this session no longer lets anyone new in. Ask the sender to start a new one.";
  }
  if (code == "resume_refused") return "Could not reconnect: the session has ended.";
  if (code == "redis_unavailable") {
    return "The server cannot start new sessions right now (its room store is unavailable). Try again in a minute.";
  }
  return message.empty() ? "The server refused the request (" + code + ")." : "The server refused: " + message;
}

}  // namespace

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::kIdle:
      return "idle";
    case Phase::kConnecting:
      return "connecting";
    case Phase::kWaitingForPeer:
      return "waiting_for_peer";
    case Phase::kSecuring:
      return "securing";
    case Phase::kConnectingPeer:
      return "connecting_peer";
    case Phase::kConnected:
      return "connected";
    case Phase::kPeerLeft:
      return "peer_left";
    case Phase::kFailed:
      return "failed";
  }
  return "failed";
}

namespace {
RandomFn or_default(RandomFn rng) { return rng ? std::move(rng) : default_random(); }
}  // namespace

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      data_(or_default(options_.rng), options_.chunk_size,
            [out = out_.get()](Command c) { out->commands.push_back(std::move(c)); },
            [out = out_.get()](std::string text) { out->add_log(std::move(text)); },
            [out = out_.get()] { return !out->commands.empty(); }),
      messages_(or_default(options_.rng), [out = out_.get()](Command c) { out->commands.push_back(std::move(c)); },
                [out = out_.get()](LogKind kind, std::string text) { out->add_log(std::move(text), kind); }) {
  options_.rng = or_default(std::move(options_.rng));
}

// --- user intents ---------------------------------------------------------------------------

void Session::create(std::string_view password) {
  if (phase_ != Phase::kIdle) return;
  creator_ = true;
  peer_link_ = PeerLink(/*creator=*/true);
  lanes_ = Lanes(/*creator=*/true, options_.lanes);
  if (password.empty()) {
    secret_ = session::LinkSecret::generate(options_.rng);
  } else {
    password_room_ = true;
    room_password_ = session::password_from_room_password(password);
  }
  phase_ = Phase::kConnecting;
  status_ = "Connecting to the server…";
  signalling_.start(protocol::Create{}, *this);
}

Status Session::join_link(std::string_view text, std::string_view resume, std::string_view password) {
  if (phase_ != Phase::kIdle) return make_error("busy", "A session is already running.");
  auto link = session::parse_link(text);
  if (!link) return link.error();
  if (link->needs_password() && password.empty()) {
    return make_error("password_needed", "This room is protected with a password: type it to join.");
  }
  creator_ = false;
  method_ = link->needs_password() ? JoinMethod::kPassword : JoinMethod::kLink;
  room_ = link->room;
  data_.set_storage_prefix(storage_prefix());
  secret_ = link->secret;
  channel_.emplace(SecureChannel::joiner(link->room, *method_,
                                        link->needs_password() ? session::password_from_room_password(password)
                                                               : session::password_from_link_secret(*link->secret),
                                        options_.rng));
  if (!previous_sas_.empty()) channel_->set_previous_sas(previous_sas_);
  peer_link_ = PeerLink(/*creator=*/false);
  lanes_ = Lanes(/*creator=*/false);
  phase_ = Phase::kConnecting;
  status_ = "Connecting to the server…";
  if (!resume.empty() && protocol::is_valid_token(resume)) {
    // A reloaded tab: take our seat back instead of joining anew (the join token is used up).
    signalling_.set_seat(link->room.str(), std::string(resume));
    signalling_.start(protocol::Rejoin{link->room.str(), std::string(resume)}, *this);
  } else {
    signalling_.start(protocol::JoinByToken{link->room.str(), link->token.str()}, *this);
  }
  return Ok{};
}

void Session::create_nearby(NearbyTarget target) {
  if (phase_ != Phase::kIdle) return;
  nearby_peer_ = target.peer_name;
  nearby_target_ = std::move(target);
  create();
}

Status Session::join_nearby(std::string_view room_text, std::string_view token_text, std::string peer_name) {
  if (phase_ != Phase::kIdle) return make_error("busy", "A session is already running.");
  auto room = session::RoomId::parse(room_text);
  auto token = session::JoinToken::parse(token_text);
  if (!room || !token) return make_error("bad_invitation", "The nearby invitation is not valid.");
  creator_ = false;
  method_ = JoinMethod::kNearby;
  room_ = *room;
  nearby_peer_ = std::move(peer_name);
  data_.set_storage_prefix(storage_prefix());
  channel_.emplace(SecureChannel::joiner(*room, JoinMethod::kNearby, session::password_for_nearby(), options_.rng));
  peer_link_ = PeerLink(/*creator=*/false);
  lanes_ = Lanes(/*creator=*/false);
  phase_ = Phase::kConnecting;
  status_ = "Connecting to " + nearby_peer_ + "…";
  signalling_.start(protocol::JoinByToken{room->str(), token->str()}, *this);
  return Ok{};
}

Status Session::join_code(std::string_view typed, std::string_view password) {
  if (phase_ != Phase::kIdle) return make_error("busy", "A session is already running.");
  std::string_view bare = typed;
  while (!bare.empty() && (bare.front() == ' ' || bare.front() == '\t')) bare.remove_prefix(1);
  while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
  if (auto nameplate = session::parse_nameplate(bare)) {
    // Only a number: a password room's code, which only routes the join.
    if (password.empty()) {
      return make_error("password_needed", "This code is for a room with a password: type the password too.");
    }
    creator_ = false;
    method_ = JoinMethod::kPassword;
    nameplate_ = *nameplate;
    room_password_ = session::password_from_room_password(password);
  } else {
    auto code = session::parse_short_code(typed);
    if (!code) return code.error();
    creator_ = false;
    method_ = JoinMethod::kCode;
    code_ = *code;
    nameplate_ = code->nameplate;
  }
  peer_link_ = PeerLink(/*creator=*/false);
  lanes_ = Lanes(/*creator=*/false);
  phase_ = Phase::kConnecting;
  status_ = "Connecting to the server…";
  signalling_.start(protocol::JoinByNameplate{session::format_nameplate(*nameplate_)}, *this);
  return Ok{};
}

void Session::send_files(std::vector<transfer::SourceFile> files, std::vector<int> handles,
                         std::vector<std::string> empty_dirs) {
  data_.send_files(std::move(files), std::move(handles), std::move(empty_dirs));
}

void Session::new_code() {
  if (!creator_ || !room_ || phase_ == Phase::kFailed || phase_ == Phase::kIdle) return;
  if (channel_ && channel_->confirmed_method()) return;  // joined: codes are over for this session
  // A password room's budget belongs to its password: a new number must not renew it.
  if (password_room_) return;
  new_code_asked_ = true;
  send_server(protocol::NewCode{});
  log("Asked the server for a new code");
}

void Session::set_previous_sas(std::string words) {
  previous_sas_ = std::move(words);
  if (channel_) channel_->set_previous_sas(previous_sas_);
}

Status Session::send_message(std::string text) {
  if (phase_ == Phase::kIdle || phase_ == Phase::kFailed) {
    return make_error("no_session", "There is no other device to send this to.");
  }
  sync_messages();
  return messages_.send(std::move(text));
}

void Session::pause(uint32_t id, bool outgoing) { data_.control(id, outgoing, DataPlane::Control::kPause); }
void Session::resume(uint32_t id, bool outgoing) { data_.control(id, outgoing, DataPlane::Control::kResume); }
void Session::cancel(uint32_t id, bool outgoing) { data_.control(id, outgoing, DataPlane::Control::kCancel); }
void Session::accept(uint32_t id, std::vector<uint32_t> file_ids) {
  if (file_ids.empty()) return;  // declining is decline(): an empty choice is not a decision
  data_.answer(id, std::move(file_ids));
}
void Session::decline(uint32_t id) { data_.answer(id, {}); }
void Session::set_accept_all(bool on) {
  if (on != data_.accept_all()) log(on ? "Accepting everything from this device for this session" : "Asking before each transfer again");
  data_.set_accept_all(on);
}

void Session::close() {
  lanes_.reset(*this);
  emit(cmd::ClosePeer{});
  signalling_.close(*this);
  peer_link_.close(*this);
  phase_ = Phase::kIdle;
}

void Session::restore_incoming(uint32_t transfer_id, Bytes state) {
  data_.restore_incoming(transfer_id, std::move(state));
}

std::string Session::storage_prefix() const { return room_ ? room_->str() + "-" : std::string(); }

// --- server ---------------------------------------------------------------------------------

void Session::tick(double now_ms) {
  now_ms_ = now_ms;
  out_->now_ms = now_ms;
  if (now_ms - last_tick_ms_ < kSpeedSampleMs) return;
  last_tick_ms_ = now_ms;
  data_.tick(now_ms);
  maintain_connection();
  sync_messages();
}

void Session::sync_messages() {
  const bool ready = channel_open_ && secured() && !channel_->rekeying();
  if (!ready) {
    messages_.close();
  } else if (!messages_.is_open()) {
    messages_.open(transport_ == Transport::kServer, link_max_message_);
  }
}

bool Session::take_message(ByteView bytes) {
  if (protocol::peek_type(bytes) != protocol::FrameType::kMessage) return false;
  if (secured()) messages_.on_frame(bytes);
  return true;
}

// Timers of the reconnection rules (session.h): signalling first, then the secure channel's,
// then the link's, which A alone drives.
void Session::maintain_connection() {
  if (phase_ == Phase::kFailed || phase_ == Phase::kIdle) return;
  if (signalling_.tick(now_ms_, peer_link_.open(), *this) == Signalling::Event::kLost) {
    fail(make_error("server_lost", "Lost the connection to the Ferry server. Check your network and start again."));
    emit(cmd::ClosePeer{});
    return;
  }
  if (channel_) {
    on_channel_event(channel_->tick(now_ms_));
    if (phase_ == Phase::kFailed) return;
  }
  peer_link_.tick(now_ms_, creator_ && secured() && can_signal(), *this);
  lanes_.tick(now_ms_, *this);
}

void Session::on_network_change(bool online) {
  log(online ? "This device's network changed" : "This device is offline");
  if (!online || phase_ == Phase::kFailed || phase_ == Phase::kIdle) return;
  // A new signalling socket at once (Signalling::reconnect_now); once rejoined, the ICE restart
  // is asked for (on_joined).
  const bool keys = secured();
  if (signalling_.reconnect_now(*this)) peer_link_.want_restart(keys);
}

void Session::on_server_open() { signalling_.on_open(*this); }

void Session::on_server_binary(ByteView bytes) {
  if (take_message(bytes)) return;
  // Only while the data goes through the server: the relay keeps order, so A's "race" or
  // "relay" message always comes before its first frame.
  if (accepts(Transport::kServer)) data_.on_frame(bytes);
}

void Session::on_server_binary_in_place(std::span<uint8_t> bytes) {
  if (take_message(bytes)) return;
  if (accepts(Transport::kServer)) data_.on_frame_in_place(bytes);
}

// Frames count only from the path this side sends on: after the path moved, frames still on
// their way on the old one belong to the sender's earlier epoch (the senders reconnected, and
// send again whatever the receiver's HAVE lacks).
bool Session::accepts(Transport from) const { return channel_open_ && transport_ == from && secured(); }

void Session::on_server_message(std::string_view text) {
  auto msg = protocol::parse_server_message(text);
  // The listing that the invitation's presence entry brings (create_nearby) is not ours to show.
  if (!msg && protocol::parse_nearby_server_message(text).ok()) return;
  if (!msg) {
    log("Ignored a malformed message from the server (" + msg.error().code + ")");
    return;
  }
  std::visit(
      [&](auto&& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::Created>) {
          on_created(m);
        } else if constexpr (std::is_same_v<T, protocol::Joined>) {
          on_joined(m);
        } else if constexpr (std::is_same_v<T, protocol::PeerJoined>) {
          peer_present_ = true;
          const bool keys = secured();
          // Before anyone proved the password, each joiner may be someone else.
          log(!joined_peer_once_ ? "The other device joined"
              : keys             ? "The other device is back"
                                 : "A device joined");
          joined_peer_once_ = true;
          if (!keys) {
            // B (re)starts the handshake; A waits for its HELLO.
            if (!creator_) {
              say_hello();
            } else {
              phase_ = Phase::kSecuring;
              status_ = "Securing the connection…";
            }
          } else if (channel_open_) {
            phase_ = Phase::kConnected;
            status_ = connected_status();
          } else {
            phase_ = Phase::kConnectingPeer;
            status_ = "Reconnecting to the other device…";
          }
        } else if constexpr (std::is_same_v<T, protocol::PeerLeft>) {
          peer_gone("The other device left");
        } else if constexpr (std::is_same_v<T, protocol::Relayed>) {
          on_relay(m.payload);
        } else if constexpr (std::is_same_v<T, protocol::ErrorMessage>) {
          on_server_error(m);
        } else if constexpr (std::is_same_v<T, protocol::NewNameplate>) {
          on_new_nameplate(m);
        }
      },
      *msg);
}

void Session::on_server_closed(int code, std::string_view reason) {
  if (phase_ == Phase::kFailed || phase_ == Phase::kIdle) {
    signalling_.stop();
    return;
  }
  const Signalling::Event closed = signalling_.on_closed(code, now_ms_);
  peer_link_.on_relay_lost(*this);  // the relay ran through this socket
  const std::string why = close_code_words(code);
  switch (closed) {
    case Signalling::Event::kEnded:
      if (peer_link_.transport() == Transport::kDirect) {
        // The transfer goes on peer to peer; signalling is only needed to reconnect.
        log("Lost the connection to the server (" + std::to_string(code) + ")" + (why.empty() ? "" : ": " + why));
      } else {
        fail(make_error("server_closed", why.empty() ? "The server closed the session." : why));
        emit(cmd::ClosePeer{});
      }
      return;
    case Signalling::Event::kNoSeat:
      if (phase_ == Phase::kConnecting) {
        fail(make_error("server_unreachable", "Could not reach the Ferry server. Check your connection and try again."));
      } else {
        fail(make_error("server_closed", "The server closed the session" +
                                             (reason.empty() ? std::string(".") : ": " + std::string(reason))));
      }
      return;
    default:
      // A network drop: Signalling rejoins with the resume token, backing off.
      log("Lost the connection to the server (" + std::to_string(code) + "); reconnecting…");
      if (!channel_open_) status_ = "Lost the connection to the server. Reconnecting…";
      return;
  }
}

void Session::on_created(const protocol::Created& m) {
  auto room = session::RoomId::parse(m.room);
  auto token = session::JoinToken::parse(m.token);
  // No nameplate: the server had no short code free, and the room works by link only.
  auto nameplate = m.nameplate.empty() ? Result<uint32_t>(0u) : session::parse_nameplate(m.nameplate);
  const bool has_code = !m.nameplate.empty();
  if (!room || !token || !nameplate || (!secret_ && !password_room_)) {
    fail(make_error("bad_server", "The server sent an invalid room. Try again later."));
    return;
  }
  room_ = *room;
  data_.set_storage_prefix(storage_prefix());
  token_ = *token;
  signalling_.set_seat(room_->str(), m.resume);
  peer_link_.set_server_offer(ice_servers_to_json(m.ice_servers), m.relay_rate);
  lanes_.set_ice_servers(ice_servers_to_json(m.ice_servers));
  joined_once_ = true;
  if (password_room_) {
    // Nothing secret in the link or the code: the password alone authenticates a joiner.
    if (has_code) nameplate_ = *nameplate;
    link_ = session::format_password_link(options_.origin, *room_, *token_);
    channel_.emplace(SecureChannel::password_room(*room_, std::move(room_password_), options_.rng));
    sodium_memzero(room_password_.data(), room_password_.size());
    room_password_.clear();
  } else {
    if (has_code) code_ = session::ShortCode::generate(*nameplate, options_.rng);
    link_ = session::format_link(options_.origin, *room_, *token_, *secret_);
    channel_.emplace(SecureChannel::creator(*room_, *secret_, code_, options_.rng));
  }
  phase_ = Phase::kWaitingForPeer;
  status_ = "Share the link or the code. Waiting for the other device…";
  if (nearby_target_ && !password_room_) {
    // The invitation goes on this connection, which the server checks is in the room: a hidden
    // presence entry (never listed), the invitation, and out of the group again.
    channel_->allow_nearby();
    emit(cmd::SendServer{protocol::serialize(protocol::NearbyClientMessage{
        protocol::NearbyAnnounce{nearby_target_->self_name, nearby_target_->self_device, /*visible=*/false}})});
    emit(cmd::SendServer{protocol::serialize(
        protocol::NearbyClientMessage{protocol::NearbyInvite{nearby_target_->to, room_->str(), token_->str()}})});
    emit(cmd::SendServer{protocol::serialize(protocol::NearbyClientMessage{protocol::NearbyLeave{}})});
    nearby_target_.reset();
    status_ = "Waiting for " + nearby_peer_ + " to answer…";
  }
  // The code is a password: it is shown on screen only, never written to the log.
  log("Session created");
}

void Session::on_joined(const protocol::Joined& m) {
  auto room = session::RoomId::parse(m.room);
  if (!room) {
    fail(make_error("bad_server", "The server sent an invalid room. Try again later."));
    return;
  }
  if (room_ && !(*room_ == *room)) {
    fail(make_error("bad_server", "The server put us in another room than the link names."));
    return;
  }
  room_ = *room;
  data_.set_storage_prefix(storage_prefix());
  if (!channel_ && !creator_ && (code_ || method_ == JoinMethod::kPassword)) {
    // Joined by code: the room is known only now.
    channel_.emplace(code_ ? SecureChannel::joiner(*room_, JoinMethod::kCode,
                                                   session::password_from_short_code(*code_), options_.rng)
                           : SecureChannel::joiner(*room_, JoinMethod::kPassword, room_password_, options_.rng));
    sodium_memzero(room_password_.data(), room_password_.size());
    room_password_.clear();
    if (!previous_sas_.empty()) channel_->set_previous_sas(previous_sas_);
  }
  signalling_.set_seat(room_->str(), m.resume);
  peer_link_.set_server_offer(ice_servers_to_json(m.ice_servers), m.relay_rate);
  lanes_.set_ice_servers(ice_servers_to_json(m.ice_servers));
  peer_present_ = m.peer;
  log(joined_once_ ? "Reconnected to the server" : "Joined the session");
  joined_once_ = true;
  peer_link_.on_rejoined(now_ms_, *this);
  if (creator_) {
    if (!peer_present_ && !channel_open_) {
      phase_ = Phase::kPeerLeft;
      status_ = "The other device is away. Waiting for it to come back…";
    }
    return;
  }
  if (secured()) {
    // Our keys still hold: A reconnects the data path when it sees us.
    if (!channel_open_) status_ = "Reconnecting to the other device…";
    return;
  }
  if (peer_present_) {
    say_hello();
  } else {
    phase_ = Phase::kPeerLeft;
    status_ = "The sender is away. Waiting for it to come back…";
  }
}

// A asked for a fresh code: new words too, so nothing guessed at the old one carries over.
void Session::on_new_nameplate(const protocol::NewNameplate& m) {
  auto nameplate = session::parse_nameplate(m.nameplate);
  // Only the answer to the person's own New code: a fresh code is a fresh guess budget, so a
  // server that could hand out codes unasked could keep guessing for ever.
  if (!creator_ || !channel_ || !nameplate || !new_code_asked_) {
    log("Ignored an unexpected code from the server");
    return;
  }
  new_code_asked_ = false;
  if (channel_->confirmed_method()) return;  // too late: a joiner is in
  code_ = session::ShortCode::generate(*nameplate, options_.rng);
  channel_->set_code(*code_);
  log("A new code is ready");
  if (phase_ == Phase::kWaitingForPeer) status_ = waiting_status();
}

std::string Session::waiting_status() const {
  if (channel_ && channel_->code_dead()) {
    return "Too many wrong tries: the code no longer works. Share the link, or get a new code.";
  }
  return "Share the link or the code. Waiting for the other device…";
}

// B speaks first: which password it holds. A answers with the handshake's first share.
void Session::say_hello() {
  if (!channel_) return;
  phase_ = Phase::kSecuring;
  status_ = "Securing the connection…";
  channel_->start(now_ms_);
  if (channel_->state() == SecureChannel::State::kFailed) {
    fail(channel_->error());
    return;
  }
  flush_channel();
}

void Session::on_server_error(const protocol::ErrorMessage& m) {
  const std::string text = explain_server_error(m.code, m.message);
  if (m.code == "resume_refused") {
    // The server no longer knows our seat (its grace period ran out, or it restarted).
    signalling_.seat_refused();
    if (channel_open_ && transport_ == Transport::kDirect) {
      log("The server ended the session; the transfer goes on directly");
      return;
    }
    fail(make_error(m.code, text));
    emit(cmd::ClosePeer{});
    return;
  }
  // A nearby invitation that found nobody: the device hid itself or left meanwhile.
  if (creator_ && !nearby_peer_.empty() && !peer_present_ &&
      (m.code == "unknown_device" || m.code == "not_your_room" || m.code == "nearby_rate" || m.code == "nearby_full")) {
    fail(make_error(m.code, nearby_peer_ + " is no longer nearby, or could not be invited. Try again."));
    return;
  }
  // Refused joins end a joiner's attempt; anything else is noted and the session goes on.
  const bool fatal = m.code == "join_refused" || m.code == "no_such_nameplate" ||
                     m.code == "nameplate_burned" || m.code == "room_full" || m.code == "redis_unavailable";
  if (fatal && (!creator_ || phase_ == Phase::kConnecting)) {
    fail(make_error(m.code, text));
  } else {
    log("Server: " + text);
  }
}

// The other device left the server (a drop, a reload, a closed tab). Its keys may survive (a
// drop) or not (a reload, which it says with a new HELLO); a direct channel may even still work,
// so it is kept until it closes by itself.
void Session::peer_gone(const std::string& why) {
  peer_present_ = false;
  log(why);
  if (phase_ == Phase::kFailed) return;
  peer_link_.on_relay_lost(*this);
  if (channel_) channel_->on_peer_left();  // a half-done handshake is dead; live keys stay
  if (creator_ && !secured()) {
    // Nobody had proved the password yet: we are simply waiting for a joiner again.
    phase_ = Phase::kWaitingForPeer;
    status_ = waiting_status();
    return;
  }
  phase_ = Phase::kPeerLeft;
  status_ = creator_ ? "The other device went away. Waiting for it to come back…"
                     : "The sender went away. Waiting for it to come back…";
}

// --- relay: hello, handshake, sealed signalling ----------------------------------------------

void Session::send_server(const protocol::ClientMessage& m) {
  emit(cmd::SendServer{protocol::serialize(m)});
}

void Session::send_relay(RelayKind kind, ByteView body) {
  Bytes payload;
  payload.reserve(body.size() + 1);
  payload.push_back(static_cast<uint8_t>(kind));
  payload.insert(payload.end(), body.begin(), body.end());
  send_server(protocol::Relay{to_base64url(payload)});
}

void Session::send_signal(const protocol::PeerSignal& message) {
  if (!secured()) return;
  const std::string text = protocol::serialize(message);
  auto sealed = channel_->signal_sender().seal(as_bytes(text));
  if (!sealed) {
    log("Could not seal a signalling message: " + sealed.error().message);
    return;
  }
  send_relay(RelayKind::kSealed, *sealed);
}

void Session::flush_channel() {
  for (auto& o : channel_->take_outgoing()) {
    if (o.relay) {
      send_relay(*o.relay, o.body);
    } else if (o.server) {
      send_server(*o.server);
    }
  }
}

void Session::on_relay(std::string_view payload) {
  auto bytes = from_base64url(payload);
  if (!bytes || bytes->empty()) {
    log("Ignored a malformed relay message");
    return;
  }
  const auto kind = static_cast<RelayKind>((*bytes)[0]);
  const ByteView body = ByteView(*bytes).subspan(1);
  switch (kind) {
    case RelayKind::kHello:
      if (!channel_) return;
      on_channel_event(channel_->on_hello(body, now_ms_));
      return;
    case RelayKind::kHandshake:
      if (!channel_) return;
      on_channel_event(channel_->on_handshake(body, now_ms_));
      return;
    case RelayKind::kSealed:
      on_sealed(body);
      return;
  }
  log("Ignored a relay message of unknown kind");
}

// What the secure channel's last step means for the session.
void Session::on_channel_event(SecureChannel::Event event) {
  using Event = SecureChannel::Event;
  using CState = SecureChannel::State;
  flush_channel();
  const std::string note = channel_->take_note();
  switch (event) {
    case Event::kNone:
      if (!note.empty()) log(note);
      if (creator_ && channel_->state() == CState::kHandshaking) {
        phase_ = Phase::kSecuring;
        status_ = "Securing the connection…";
      }
      return;
    case Event::kConfirmed:
    case Event::kRekeyed:
      on_handshake_confirmed(event == Event::kRekeyed);
      return;
    case Event::kAttemptFailed:
    case Event::kCodeDied:
      if (!note.empty()) log(note);
      if (event == Event::kCodeDied) {
        log("Too many wrong tries: this code no longer works. The link still works; you can get a new code.");
      }
      if (!secured() && phase_ != Phase::kFailed) {
        phase_ = Phase::kWaitingForPeer;
        status_ = waiting_status();
      }
      return;
    case Event::kFailed:
      fail(channel_->error());
      return;
  }
}

void Session::on_handshake_confirmed(bool rekeyed) {
  sas_ = channel_->sas_words();
  const crypto::SessionKeys& keys = channel_->keys();
  if (rekeyed || channel_->sas_changed()) {
    // New keys (the other device reloaded and proved the same password): whatever data path we
    // had belongs to the old keys.
    log("Secure channel established again. The verification words changed: " + sas_);
    peer_link_.reset(*this);
  } else {
    log("Secure channel established. Verification words: " + sas_);
  }
  phase_ = Phase::kConnectingPeer;
  status_ = "Secured. Connecting to the other device…";
  // Transfers from an earlier connection go on under the new keys (senders on connect()).
  data_.set_keys(keys.send_data, keys.recv_data);
  messages_.set_keys(keys.send_data, keys.recv_data);
  sync_messages();
  if (creator_) peer_link_.start_attempt(now_ms_, *this);
}

void Session::on_sealed(ByteView body) {
  if (!secured()) {
    log("Ignored a sealed message before the handshake finished");
    return;
  }
  auto plain = channel_->signal_receiver().open(body);
  if (!plain) {
    // A relayed message that fails authentication was altered on the way: the server (or
    // someone on its path) is tampering. Nothing it says can be trusted any more.
    fail(make_error("tampered", "A message from the other device was altered on the way (" +
                                    plain.error().code +
                                    "). The session was stopped to keep your files safe."));
    emit(cmd::ClosePeer{});
    emit(cmd::CloseServer{});
    return;
  }
  auto msg = protocol::parse_peer_signal(as_string(*plain));
  if (!msg) {
    log("Ignored a malformed signalling message (" + msg.error().code + ")");
    return;
  }
  if (std::holds_alternative<protocol::peer::LaneOffer>(*msg) ||
      std::holds_alternative<protocol::peer::LaneAnswer>(*msg) ||
      std::holds_alternative<protocol::peer::LaneIce>(*msg)) {
    lanes_.on_signal(*msg, peer_link_.peer_gen(), /*may_follow=*/!peer_link_.use_relay(), now_ms_,
                     *this);
    return;
  }
  peer_link_.on_signal(*msg, now_ms_, *this);
}

// --- WebRTC: the link (app/peer_link.h) ---------------------------------------------------

void Session::on_local_description(std::string_view json) { peer_link_.on_local_description(json, *this); }
void Session::on_local_candidate(std::string_view json) { peer_link_.on_local_candidate(json, *this); }
void Session::on_peer_state(std::string_view state) { peer_link_.on_peer_state(state, now_ms_, *this); }
void Session::on_peer_error(std::string_view message) { log("WebRTC: " + std::string(message)); }
void Session::on_path(std::string_view path) { peer_link_.on_path(path, *this); }

void Session::on_channel_open(size_t remote_max_message_size) {
  peer_link_.on_channel_open(remote_max_message_size, *this);
}

// --- the lanes (app/lanes.h) ----------------------------------------------------------------

void Session::on_round_trip(double rtt_ms) {
  if (!channel_open_ || transport_ != Transport::kDirect) return;
  const bool direct =
      peer_link_.path() == PathKind::kDirect || peer_link_.path() == PathKind::kDirectNat;
  lanes_.on_round_trip(rtt_ms, direct, now_ms_, *this);
}
void Session::on_lane_local_description(uint32_t lane, std::string_view json) {
  lanes_.on_local_description(lane, json, *this);
}
void Session::on_lane_local_candidate(uint32_t lane, std::string_view json) {
  lanes_.on_local_candidate(lane, json, *this);
}
void Session::on_lane_state(uint32_t lane, std::string_view state) {
  lanes_.on_peer_state(lane, state, *this);
}
void Session::on_lane_open(uint32_t lane) {
  lanes_.on_channel_open(lane, *this);
}
void Session::on_lane_closed(uint32_t lane) {
  lanes_.on_channel_closed(lane, *this);
}

// Chunks in flight on the lost lane are gone, and no HAVE asks for them while the data path
// stays up: the data path reconnects, as after a drop (the senders resume from the receivers'
// HAVE maps). B closes its primary connection so that A, who drives reconnections, sees it.
void Session::on_lane_lost() {
  if (!channel_open_ || transport_ != Transport::kDirect) return;
  log("Reconnecting, so that what was on its way on that connection is sent again");
  lanes_.reset(*this);
  emit(cmd::ClosePeer{});
  peer_link_.on_channel_closed(*this);
}

void Session::on_path_changed() {
  if (phase_ == Phase::kConnected) status_ = connected_status();
}

std::string Session::connected_status() const {
  if (transport_ == Transport::kServer) {
    if (peer_link_.state() == PeerLink::State::kRacing) {
      return "Connected through the Ferry server's relay while a direct connection is tried. Files stay end-to-end encrypted.";
    }
    return "Connected through the Ferry server's relay (no direct path). Files stay end-to-end encrypted.";
  }
  if (peer_link_.path() == PathKind::kTurn) {
    return "Connected through a relay server. Files stay end-to-end encrypted; the relay sees only scrambled data.";
  }
  return "Connected. Files go straight to the other device, end-to-end encrypted.";
}

// The link opened its data path: transfers start or go on. Opened while open: the path moved
// (a race won by the DataChannel); the transfers reconnect on the new one.
void Session::on_link_opened(size_t max_message_size) {
  const Transport t = peer_link_.transport();
  if (t == Transport::kDirect) lanes_.on_primary_open(peer_link_.peer_gen());
  if (channel_open_) {
    data_.close();
    transport_ = t;
    if (phase_ == Phase::kConnected) status_ = connected_status();
    data_.open(max_message_size, t == Transport::kServer);
    link_max_message_ = max_message_size;
    messages_.close();  // reopened on the new path
    sync_messages();
    return;
  }
  transport_ = t;
  channel_open_ = true;
  phase_ = peer_present_ ? Phase::kConnected : Phase::kPeerLeft;
  status_ = connected_status();
  log(t == Transport::kServer ? "Connected to the other device through the server" : "Connected to the other device");
  data_.open(max_message_size, t == Transport::kServer);
  link_max_message_ = max_message_size;
  sync_messages();
}

void Session::on_channel_closed() { peer_link_.on_channel_closed(*this); }

// The data path is gone (or about to be replaced): outgoing transfers wait for the next one,
// which resumes them from the receiver's have-map.
void Session::on_link_closed() {
  lanes_.reset(*this);  // worth nothing without the primary (and B may have lanes before it opened)
  if (!channel_open_) return;
  channel_open_ = false;
  transport_ = Transport::kNone;
  data_.close();
  messages_.close();
  if (phase_ == Phase::kConnected) {
    phase_ = Phase::kConnectingPeer;
    status_ = "Connection lost. Reconnecting…";
  }
  log("The data channel closed");
}

void Session::on_channel_message(ByteView bytes) {
  if (take_message(bytes)) return;
  if (accepts(Transport::kDirect)) data_.on_frame(bytes);
}

void Session::on_channel_message_in_place(std::span<uint8_t> bytes) {
  if (take_message(bytes)) return;
  if (accepts(Transport::kDirect)) data_.on_frame_in_place(bytes);
}

void Session::pump(uint64_t buffered_amount) {
  // While a new handshake runs beside the live keys, nothing new is sent: if it confirms, the
  // transfers resume under the new keys; if it was forged, they go on under the live ones.
  if (!channel_open_ || (channel_ && channel_->rekeying())) return;
  if (short_queues())
    buffered_amount = std::min(buffered_amount, UINT64_MAX / kLaneQueueScale) * kLaneQueueScale;
  data_.pump(buffered_amount);
}

void Session::on_file_read(uint32_t id, uint32_t file_id, uint64_t index, ByteView bytes) {
  data_.on_file_read(id, file_id, index, bytes);
}

void Session::on_file_read_error(uint32_t id, std::string_view message) {
  data_.on_file_read_error(id, message);
}

void Session::on_sink_read(uint32_t id, uint32_t file_id, uint64_t index, ByteView bytes) {
  data_.on_sink_read(id, file_id, index, bytes);
}

void Session::on_sink_error(uint32_t id, uint32_t file_id, std::string_view message) {
  data_.on_sink_error(id, file_id, message);
}

void Session::on_storage_error(std::string_view message) {
  // Only resuming after a reload depends on it; the transfer itself goes on.
  log("Could not save progress for resuming later: " + std::string(message));
}

// --- output ---------------------------------------------------------------------------------

void Session::log(std::string text) {
  out_->now_ms = now_ms_;
  out_->add_log(std::move(text));
}

void Session::Outbox::add_log(std::string text, LogKind kind) {
  log_bytes += text.size();
  log.push_back(LogLine{now_ms, std::move(text), kind});
  ++log_total;
  while (log.size() > 1 && (log.size() > kMaxLogLines || log_bytes > kMaxLogTextBytes)) {
    log_bytes -= log.front().text.size();
    log.pop_front();
  }
}

void Session::fail(Error error) {
  lanes_.reset(*this);
  phase_ = Phase::kFailed;
  status_ = error.message;
  log(error.message);
  error_ = std::move(error);
  channel_.reset();
}

std::vector<Command> Session::take_commands() {
  std::vector<Command> out(std::make_move_iterator(out_->commands.begin()),
                           std::make_move_iterator(out_->commands.end()));
  out_->commands.clear();
  return out;
}

int Session::file_handle(uint32_t id, uint32_t file_id) const { return data_.file_handle(id, file_id); }

Snapshot Session::snapshot() const {
  Snapshot s;
  s.phase = phase_;
  s.creator = creator_;
  s.status = status_;
  s.link = link_;
  if (creator_ && code_) s.short_code = code_->format();
  if (creator_ && password_room_ && nameplate_) s.short_code = session::format_nameplate(*nameplate_);
  s.password_room = password_room_;
  s.sas = sas_;
  if (channel_) {
    s.sas_changed = channel_->sas_changed();
    s.rekeying = channel_->rekeying();
    s.code_dead = creator_ && channel_->code_dead();
  }
  s.peer_present = peer_present_;
  s.nearby_peer = nearby_peer_;
  s.path = peer_link_.path();
  s.lanes = transport_ == Transport::kDirect ? lanes_.carrying() : 1;
  s.error = error_;
  s.transfers = data_.transfers();
  s.messages_waiting = messages_.waiting();
  return s;
}

}  // namespace ferry::app
