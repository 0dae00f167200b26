// Signalling logic over the room registry (see shared_state.h).
#include "shared_state.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "log.h"
#include "session/ids.h"
#include "turn.h"

namespace ferry::server {

namespace proto = ferry::protocol;

namespace {
// A fresh room may send this many seconds of its text relay budget at once: the offer, the
// answer and a burst of ICE candidates go out together.
constexpr double kTextRelayBurstSeconds = 8;
}  // namespace

Clocks system_clocks() {
  return Clocks{
      [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
      },
      [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
      }};
}

SharedState::SharedState(Config config, Clocks clocks, RandomFn rng, std::shared_ptr<const JwtVerifier> jwt)
    : config_(std::move(config)),
      clocks_(std::move(clocks)),
      rng_(rng),
      jwt_(std::move(jwt)),
      rooms_(config_.rooms, rng),
      presence_(rng),
      joins_(config_.join_burst, config_.join_rate),
      jwt_checks_(config_.join_burst, config_.join_rate),
      // About one second of burst: a fresh room starts at full speed, a sustained one at the rate.
      relay_rooms_(static_cast<double>(config_.relay_rate), static_cast<double>(config_.relay_rate)),
      text_rooms_(static_cast<double>(config_.text_relay_rate) * kTextRelayBurstSeconds,
                  static_cast<double>(config_.text_relay_rate)) {
  if (config_.relay_total_rate > 0) {
    auto rate = static_cast<double>(config_.relay_total_rate);
    relay_total_.emplace(rate, rate, clocks_.now_ms());
  }
}

int64_t SharedState::to_unix_s(int64_t mono_ms) const {
  return (clocks_.unix_ms() + (mono_ms - clocks_.now_ms())) / 1000;
}

JwtCheck SharedState::check_jwt(std::string_view token) const {
  if (!jwt_ || token.empty()) return {};
  return jwt_->check(token, clocks_.unix_ms() / 1000);
}

bool SharedState::admit_jwt_check(PeerId id) {
  std::lock_guard lock(mutex_);
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  if (jwt_checks_.take(it->second.ip, clocks_.now_ms())) return true;
  metrics_.refuse(std::string(close_reason(CloseCode::kJoinsPerIp)));
  log_event("refused", {{"reason", "jwt_checks_per_ip"}, {"ip", it->second.ip}});
  return false;
}

void SharedState::set_jwt(PeerId id, JwtCheck jwt) {
  std::lock_guard lock(mutex_);
  if (auto it = conns_.find(id); it != conns_.end()) it->second.jwt = std::move(jwt);
}

Result<PeerId> SharedState::attach(std::weak_ptr<Peer> peer, const std::string& ip, CloseCode* refusal) {
  std::lock_guard lock(mutex_);
  auto refuse = [&](CloseCode code) -> Result<PeerId> {
    *refusal = code;
    metrics_.refuse(std::string(close_reason(code)));
    log_event("refused", {{"reason", std::string(close_reason(code))}, {"ip", ip}});
    return make_error(std::string(close_reason(code)), "connection refused");
  };
  if (stopping_) return refuse(CloseCode::kShutdown);
  if (draining_) return refuse(CloseCode::kMoved);  // an upgrade that raced the drain's start
  if (conns_.size() >= config_.max_connections) return refuse(CloseCode::kServerFull);
  if (conns_per_ip_[ip] >= config_.max_conns_per_ip) return refuse(CloseCode::kConnectionsPerIp);
  ++conns_per_ip_[ip];
  PeerId id = next_id_++;
  conns_.emplace(id, Conn{std::move(peer), ip, TokenBucket(config_.msg_burst, config_.msg_rate, clocks_.now_ms()), 0, {}});
  metrics_.connections_total++;
  return id;
}

void SharedState::detach(PeerId id) {
  Outbox out;
  {
    std::lock_guard lock(mutex_);
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    if (--conns_per_ip_[it->second.ip] == 0) conns_per_ip_.erase(it->second.ip);
    conns_.erase(it);
    if (auto other = rooms_.disconnect(id, clocks_.now_ms())) send(out, *other, proto::PeerLeft{});
    for (auto& [to, text] : presence_.detach(id)) send_text(out, to, std::move(text));
  }
  flush(out);
  if (remote_) remote_->detached(id);
}

void SharedState::send(Outbox& out, PeerId to, const proto::ServerMessage& m) {
  auto it = conns_.find(to);
  if (it == conns_.end()) return;
  out.sends.emplace_back(it->second.peer, Outgoing{std::make_shared<const std::string>(proto::serialize(m)), false});
}

void SharedState::send_text(Outbox& out, PeerId to, std::string text) {
  auto it = conns_.find(to);
  if (it == conns_.end()) return;
  out.sends.emplace_back(it->second.peer, Outgoing{std::make_shared<const std::string>(std::move(text)), false});
}

void SharedState::error(Outbox& out, PeerId to, const Error& e) {
  metrics_.refuse(e.code);
  send(out, to, proto::ErrorMessage{e.code, e.message});
}

void SharedState::close(Outbox& out, PeerId to, CloseCode code) {
  auto it = conns_.find(to);
  if (it == conns_.end()) return;
  out.closes.emplace_back(it->second.peer, code);
}

void SharedState::flush(Outbox& out) {
  for (auto& [weak, message] : out.sends) {
    if (auto p = weak.lock()) p->send(std::move(message));
  }
  for (auto& [weak, code] : out.closes) {
    if (auto p = weak.lock()) p->close(code);
  }
}

ReadPause SharedState::on_binary(PeerId id, std::string_view frame) {
  Outbox out;
  ReadPause pause;
  std::weak_ptr<Peer> receiver;
  bool forward = false;
  {
    std::lock_guard lock(mutex_);
    auto conn = conns_.find(id);
    if (conn == conns_.end()) return pause;
    auto refuse = [&](const Error& e, CloseCode code) {
      if (!e.code.empty()) error(out, id, e);
      metrics_.refuse(std::string(close_reason(code)));
      close(out, id, code);
    };
    if (config_.relay_rate == 0) {
      refuse(make_error("binary_frame", "this server does not relay binary messages (relay_rate 0)"),
             CloseCode::kProtocol);
    } else if (frame.size() > proto::kMaxRelayFrameBytes) {
      refuse(Error{}, CloseCode::kMessageTooBig);
    } else if (conn->second.forwarded) {
      forward = true;  // its room's instance charges the budgets and routes it
    } else if (auto route = rooms_.relay_route(id); !route) {
      refuse(route.error(), CloseCode::kProtocol);
    } else {
      // Every frame read is charged, dropped ones too: they cost the server the same to read.
      int64_t now = clocks_.now_ms();
      double charge = static_cast<double>(std::max(frame.size(), kMinRelayCharge));
      pause.wait_ms = relay_rooms_.borrow(*route->room, charge, now);
      if (relay_total_) pause.wait_ms = std::max(pause.wait_ms, relay_total_->borrow(charge, now));
      if (pause.wait_ms > 0) metrics_.relay_pauses_rate++;
      auto to = route->to ? conns_.find(*route->to) : conns_.end();
      if (to == conns_.end()) {
        metrics_.relay_dropped++;  // the other peer is away; the clients resume on their own
      } else {
        receiver = to->second.peer;
        metrics_.relay_frames++;
        metrics_.relay_bytes += frame.size();
      }
    }
  }
  flush(out);
  if (forward) pause = remote_->forward(id, frame, true);
  if (auto r = receiver.lock()) {
    // Copied outside the mutex: a frame is up to 256 KiB.
    r->send(Outgoing{std::make_shared<const std::string>(frame), true});
    if (r->queued_bytes() > kRelayQueueHighBytes) {
      metrics_.relay_pauses_receiver++;
      pause.receiver = receiver;
    }
  }
  global_pause(pause);
  return pause;
}

void SharedState::global_pause(ReadPause& pause) {
  if (queued_total() <= static_cast<int64_t>(config_.max_queued_bytes)) return;
  pause.wait_ms = std::max(pause.wait_ms, kGlobalQueuePauseMs);
  metrics_.relay_pauses_global++;
}

ReadPause SharedState::on_text(PeerId id, std::string_view text) {
  Outbox out;
  ReadPause pause;
  std::weak_ptr<Peer> relay_to;
  bool forward = false;
  {
    std::lock_guard lock(mutex_);
    auto it = conns_.find(id);
    if (it == conns_.end()) return pause;
    Conn& conn = it->second;
    int64_t now = clocks_.now_ms();
    if (text.size() > config_.max_message) {
      metrics_.refuse(std::string(close_reason(CloseCode::kMessageTooBig)));
      close(out, id, CloseCode::kMessageTooBig);
    } else if (conn.forwarded) {
      forward = true;  // its room's instance parses and limits it
    } else if (!conn.messages.take(now)) {
      metrics_.refuse(std::string(close_reason(CloseCode::kMessageRate)));
      log_event("refused", {{"reason", "message_rate"}, {"ip", conn.ip}});
      close(out, id, CloseCode::kMessageRate);
    } else if (auto m = proto::parse_client_message(text); m) {
      dispatch(out, id, conn, *m, pause, relay_to);
    } else if (auto nearby = m.error().code == "unknown_type" ? proto::parse_nearby_client_message(text)
                                                                : Result<proto::NearbyClientMessage>(m.error());
               nearby) {
      dispatch_nearby(out, id, conn, *nearby);
    } else {
      error(out, id, nearby.error());
      if (++conn.bad >= config_.max_bad_messages) {
        metrics_.refuse(std::string(close_reason(CloseCode::kProtocol)));
        close(out, id, CloseCode::kProtocol);
      }
    }
    if (remote_) collect_changes(out);
  }
  flush(out);
  if (forward) pause = remote_->forward(id, text, false);
  if (remote_) flush_remote(out, &pause);
  if (auto r = relay_to.lock(); r && r->queued_text_bytes() > kTextQueueHighBytes) {
    metrics_.relay_pauses_text_receiver++;
    pause.receiver = relay_to;
    pause.drain = Peer::Drain::kText;
  }
  global_pause(pause);
  return pause;
}

void SharedState::joined(Outbox& out, PeerId id, const JoinResult& r, std::string_view how) {
  if (r.replaced) {
    close(out, *r.replaced, CloseCode::kReplaced);
  }
  if (r.displaced) {
    close(out, *r.displaced, CloseCode::kSeatTaken);
    metrics_.refuse(std::string(close_reason(CloseCode::kSeatTaken)));
    if (r.other) send(out, *r.other, proto::PeerLeft{});  // then peer_joined for the new joiner
  }
  proto::Joined j;
  j.room = r.room;
  j.resume = r.resume;
  j.expires = to_unix_s(r.expires_ms);
  j.creator = r.creator;
  j.peer = r.other.has_value();
  j.ice_servers = ice_servers_for(config_.ice, clocks_.unix_ms() / 1000, room_tag(r.room) + std::to_string(id));
  j.relay_rate = config_.relay_rate;
  send(out, id, j);
  if (r.other) send(out, *r.other, proto::PeerJoined{});
  log_event(how, {{"room", room_tag(r.room)}, {"peer", std::to_string(id)}});
}

bool SharedState::jwt_refused(Outbox& out, PeerId id, const Conn& conn, bool create) {
  if (!jwt_ || conn.jwt.verdict == JwtVerdict::kValid || !jwt_needed(config_.jwt_required, create)) return false;
  CloseCode code = conn.jwt.verdict == JwtVerdict::kAbsent    ? CloseCode::kJwtRequired
                   : conn.jwt.verdict == JwtVerdict::kExpired ? CloseCode::kJwtExpired
                                                              : CloseCode::kJwtInvalid;
  metrics_.refuse(std::string(close_reason(code)));
  log_event("refused", {{"reason", std::string(close_reason(code))},
                        {"check", conn.jwt.reason},
                        {"entry", create ? "create" : "join"},
                        {"ip", conn.ip}});
  close(out, id, code);
  return true;
}

void SharedState::dispatch(Outbox& out, PeerId id, Conn& conn, const proto::ClientMessage& m, ReadPause& pause,
                           std::weak_ptr<Peer>& relay_to) {
  int64_t now = clocks_.now_ms();
  bool is_entry = std::holds_alternative<proto::Create>(m) || std::holds_alternative<proto::JoinByToken>(m) ||
                  std::holds_alternative<proto::JoinByNameplate>(m) || std::holds_alternative<proto::Rejoin>(m);
  if (is_entry && !rooms_.in_room(id) && !joins_.take(conn.ip, now)) {
    metrics_.refuse(std::string(close_reason(CloseCode::kJoinsPerIp)));
    log_event("refused", {{"reason", "joins_per_ip"}, {"ip", conn.ip}});
    close(out, id, CloseCode::kJoinsPerIp);
    return;
  }
  // The JWT hook guards new entries; a rejoin shows the resume token its checked entry earned.
  const bool is_create = std::holds_alternative<proto::Create>(m);
  const bool is_join = std::holds_alternative<proto::JoinByToken>(m) || std::holds_alternative<proto::JoinByNameplate>(m);
  if ((is_create || is_join) && jwt_refused(out, id, conn, is_create)) return;
  if (remote_ && route_entry(out, id, conn, m)) return;
  if (std::holds_alternative<proto::Create>(m)) {
    // With --redis a room must be recorded there, so none is made while it is away; the
    // client tries again (its create back-off), and joins of live rooms go on.
    if (redis_unavailable()) {
      return error(out, id, make_error("redis_unavailable", "the shared room store is unreachable; try again shortly"));
    }
    auto r = rooms_.create(id, now);
    if (!r) return error(out, id, r.error());
    proto::Created c;
    c.room = r->room;
    c.token = r->token;
    c.nameplate = r->nameplate;
    c.expires = to_unix_s(r->expires_ms);
    c.resume = r->resume;
    c.ice_servers = ice_servers_for(config_.ice, clocks_.unix_ms() / 1000, room_tag(r->room) + std::to_string(id));
    c.relay_rate = config_.relay_rate;
    if (remote_) {
      // Told once the room is in Redis, so a join on another instance finds it.
      out.create = Outbox::Create{id, conn.peer, c, *rooms_.export_room(r->room, now)};
    } else {
      send(out, id, c);
    }
    log_event("room_created", {{"room", room_tag(r->room)}, {"peer", std::to_string(id)}, {"ip", conn.ip}});
  } else if (const auto* jt = std::get_if<proto::JoinByToken>(&m)) {
    auto r = rooms_.join_by_token(id, jt->room, jt->token, now);
    if (!r) return error(out, id, r.error());
    joined(out, id, *r, "room_joined");
  } else if (const auto* jn = std::get_if<proto::JoinByNameplate>(&m)) {
    auto r = rooms_.join_by_nameplate(id, jn->nameplate, now);
    if (!r) return error(out, id, r.error());
    joined(out, id, *r, "room_joined_nameplate");
  } else if (const auto* rj = std::get_if<proto::Rejoin>(&m)) {
    auto r = rooms_.rejoin(id, rj->room, rj->resume, now);
    if (!r) return error(out, id, r.error());
    joined(out, id, *r, "room_rejoined");
  } else if (const auto* relay = std::get_if<proto::Relay>(&m)) {
    auto route = rooms_.relay_route(id);
    if (!route) return error(out, id, route.error());
    if (!route->to) return error(out, id, make_error("no_peer", "the other peer is not connected"));
    // Like the data relay: the message is passed on and its sender slowed down for the debt.
    pause.wait_ms = text_rooms_.borrow(*route->room, static_cast<double>(relay->payload.size()), now);
    if (pause.wait_ms > 0) metrics_.relay_pauses_text_rate++;
    PeerId to = *route->to;
    if (auto c = conns_.find(to); c != conns_.end()) relay_to = c->second.peer;
    send(out, to, proto::Relayed{relay->payload});
    metrics_.messages_relayed++;
    metrics_.bytes_relayed += relay->payload.size();
  } else if (std::holds_alternative<proto::PakeFailed>(m)) {
    auto r = rooms_.pake_failed(id, now);
    if (!r) return error(out, id, r.error());
    metrics_.refuse("pake_failed");
    if (r->evicted) {
      close(out, *r->evicted, CloseCode::kPakeFailed);
      send(out, id, proto::PeerLeft{});
    }
    if (r->burned) {
      send(out, id, proto::ErrorMessage{"nameplate_burned", "too many failed attempts: the short code no longer works"});
    }
    log_event("pake_failed", {{"peer", std::to_string(id)}, {"burned", r->burned ? "1" : "0"}});
  } else if (std::holds_alternative<proto::PakeConfirmed>(m)) {
    auto r = rooms_.pake_confirmed(id, now);
    if (!r) return error(out, id, r.error());
    metrics_.pake_confirmed++;
    log_event("pake_confirmed", {{"peer", std::to_string(id)}});
  } else if (std::holds_alternative<proto::RejectPeer>(m)) {
    auto r = rooms_.reject_peer(id, now);
    if (!r) return error(out, id, r.error());
    metrics_.refuse(std::string(close_reason(CloseCode::kRejected)));
    if (r->evicted) {
      close(out, *r->evicted, CloseCode::kRejected);
      send(out, id, proto::PeerLeft{});
    }
    log_event("peer_rejected", {{"peer", std::to_string(id)}});
  } else if (std::holds_alternative<proto::NewCode>(m)) {
    auto r = rooms_.new_code(id, now);
    if (!r) return error(out, id, r.error());
    send(out, id, proto::NewNameplate{*r});
    log_event("new_code", {{"peer", std::to_string(id)}});
  }
}

void SharedState::dispatch_nearby(Outbox& out, PeerId id, Conn& conn, const proto::NearbyClientMessage& m) {
  auto route = rooms_.relay_route(id);
  auto r = presence_.on_message(id, conn.ip, m, route ? route->room : nullptr, clocks_.now_ms());
  if (!r) return error(out, id, r.error());
  for (auto& [to, text] : *r) send_text(out, to, std::move(text));
  // Never the address group nor a name: peer ids only.
  if (std::holds_alternative<proto::NearbyInvite>(m)) log_event("nearby_invite", {{"peer", std::to_string(id)}});
}

void SharedState::sweep() {
  Outbox out;
  {
    std::lock_guard lock(mutex_);
    int64_t now = clocks_.now_ms();
    for (const auto& e : rooms_.sweep(now)) {
      metrics_.refuse(std::string(close_reason(e.code)));
      close(out, e.peer, e.code);
      if (e.notify) send(out, *e.notify, proto::PeerLeft{});
    }
    joins_.prune(now);
    jwt_checks_.prune(now);
    relay_rooms_.prune(now);  // a full budget is the same as a fresh one
    text_rooms_.prune(now);
    if (remote_) collect_changes(out);
  }
  flush(out);
  if (remote_) flush_remote(out, nullptr);
}

void SharedState::shutdown(CloseCode code) {
  Outbox out;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& [id, conn] : conns_) out.closes.emplace_back(conn.peer, code);
  }
  flush(out);
}

std::string SharedState::not_ready_reason() const {
  if (draining_) return "draining";
  if (redis_unavailable()) return "redis_unavailable";
  if (!config_.signal_only) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::path(config_.web_root) / "index.html", ec)) {
      return "no_web_client";
    }
  }
  return "";
}

std::string SharedState::metrics_text() {
  size_t rooms, peers, conns;
  {
    std::lock_guard lock(mutex_);
    rooms = rooms_.room_count();
    peers = rooms_.peer_count();
    conns = conns_.size();
  }
  std::string text = metrics_.render(rooms, peers, conns, queued_total(),
                                     config_.redis ? std::optional<bool>(redis_up_.load()) : std::nullopt);
  {
    std::lock_guard lock(mutex_);
    text += presence_.metrics_text();  // its own families, after prometheus-cpp's
  }
  return text;
}

size_t SharedState::connection_count() {
  std::lock_guard lock(mutex_);
  return conns_.size();
}

void SharedState::set_remote(std::shared_ptr<RemoteRooms> remote) {
  std::lock_guard lock(mutex_);
  remote_ = std::move(remote);
  rooms_.track_changes();
}

bool SharedState::route_entry(Outbox& out, PeerId id, const Conn& conn, const proto::ClientMessage& m) {
  if (rooms_.in_room(id)) return false;  // answered here: already_in_room
  Outbox::Route r{id, conn.peer, conn.ip, conn.jwt.verdict == JwtVerdict::kValid, RemoteRooms::Key::kRoom, "", ""};
  if (const auto* jt = std::get_if<proto::JoinByToken>(&m)) {
    if (rooms_.has_room(jt->room)) return false;
    r.key = jt->room;
  } else if (const auto* rj = std::get_if<proto::Rejoin>(&m)) {
    if (rooms_.has_room(rj->room)) return false;
    r.key = rj->room;
  } else if (const auto* jn = std::get_if<proto::JoinByNameplate>(&m)) {
    auto n = session::parse_nameplate(jn->nameplate);
    if (!n || rooms_.has_nameplate(*n)) return false;  // a malformed code is refused here
    r.kind = RemoteRooms::Key::kNameplate;
    r.key = std::to_string(*n);
  } else {
    return false;
  }
  r.text = proto::serialize(m);
  out.route = std::move(r);
  return true;
}

void SharedState::collect_changes(Outbox& out) {
  int64_t now = clocks_.now_ms();
  for (auto& room : rooms_.take_changed()) {
    auto record = rooms_.export_room(room, now);
    out.stores.emplace_back(std::move(room), std::move(record));
  }
}

void SharedState::flush_remote(Outbox& out, ReadPause* pause) {
  if (!out.stores.empty()) remote_->store(std::move(out.stores));
  if (out.route && pause) {
    auto& r = *out.route;
    pause->receiver = remote_->route(r.id, r.client, r.ip, r.jwt_valid, r.kind, std::move(r.key), std::move(r.text));
    pause->drain = Peer::Drain::kAll;
  }
  if (out.create && pause) {
    auto& c = *out.create;
    pause->receiver = remote_->created(c.id, c.client, std::move(c.message), std::move(c.record));
    pause->drain = Peer::Drain::kAll;
  }
}

void SharedState::set_forwarded(PeerId id) {
  std::lock_guard lock(mutex_);
  if (auto it = conns_.find(id); it != conns_.end()) it->second.forwarded = true;
}

void SharedState::reply_error(PeerId id, const Error& e) {
  Outbox out;
  {
    std::lock_guard lock(mutex_);
    error(out, id, e);
  }
  flush(out);
}

std::string SharedState::reroll_code(PeerId creator, uint64_t min_range) {
  std::lock_guard lock(mutex_);
  auto r = rooms_.new_code(creator, clocks_.now_ms(), min_range);
  return r ? *r : "";
}

void SharedState::drop_code(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  rooms_.drop_nameplate(room_id);
}

void SharedState::drop_room(const std::string& room_id) {
  Outbox out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : rooms_.drop_room(room_id, CloseCode::kMoved)) close(out, e.peer, e.code);
  }
  flush(out);
}

std::optional<RoomRecord> SharedState::room_record(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  return rooms_.export_room(room_id, clocks_.now_ms());
}

Status SharedState::import_room(const RoomRecord& record) {
  std::lock_guard lock(mutex_);
  return rooms_.import_room(record, clocks_.now_ms());
}

}  // namespace ferry::server
