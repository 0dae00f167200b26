// Rooms across instances on Redis (see redis_rooms.h).
#include "redis_rooms.h"

#include <hiredis/hiredis.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "log.h"

namespace ferry::server {
namespace {

namespace proto = ferry::protocol;

// The keys (see redis_rooms.h). Lua builds the derived ones itself; one Redis, no cluster.
const std::string kRoomKey = "ferry:room:";
const std::string kInstanceKey = "ferry:inst:";
const std::string kChannel = "ferry:i:";

// [kind 'r'|'n', key] -> nil, or {room id, owner, owner alive 0|1}.
constexpr const char* kFindScript = R"lua(
local id = ARGV[2]
if ARGV[1] == 'n' then
  id = redis.call('GET', 'ferry:np:' .. ARGV[2])
  if not id then return false end
end
local owner = redis.call('HGET', 'ferry:room:' .. id, 'owner')
if not owner then return false end
return {id, owner, redis.call('EXISTS', 'ferry:inst:' .. owner)}
)lua";

// [room, owner, record, code or '', ttl ms] -> 1 stored, 0 stored without its code (another
// live room holds it), -1 not stored (another instance owns the room now).
constexpr const char* kStoreScript = R"lua(
local key = 'ferry:room:' .. ARGV[1]
local cur = redis.call('HGET', key, 'owner')
if cur and cur ~= ARGV[2] then return -1 end
local np = ARGV[4]
local old = redis.call('HGET', key, 'np')
if old and old ~= '' and old ~= np and redis.call('GET', 'ferry:np:' .. old) == ARGV[1] then
  redis.call('DEL', 'ferry:np:' .. old)
end
local ok = 1
if np ~= '' then
  local held = redis.call('GET', 'ferry:np:' .. np)
  if held and held ~= ARGV[1] and redis.call('EXISTS', 'ferry:room:' .. held) == 1 then
    ok = 0
    np = ''
  else
    redis.call('SET', 'ferry:np:' .. np, ARGV[1], 'PX', ARGV[5])
  end
end
redis.call('HSET', key, 'owner', ARGV[2], 'rec', ARGV[3], 'np', np)
redis.call('PEXPIRE', key, ARGV[5])
return ok
)lua";

// [room, owner] -> 1 deleted (with its code), 0 not ours.
constexpr const char* kDropScript = R"lua(
local key = 'ferry:room:' .. ARGV[1]
if redis.call('HGET', key, 'owner') ~= ARGV[2] then return 0 end
local np = redis.call('HGET', key, 'np')
if np and np ~= '' and redis.call('GET', 'ferry:np:' .. np) == ARGV[1] then
  redis.call('DEL', 'ferry:np:' .. np)
end
redis.call('DEL', key)
return 1
)lua";

// [room, dead owner, new owner] -> the record, or nil (not that owner's, or it is alive).
constexpr const char* kTakeOverScript = R"lua(
local key = 'ferry:room:' .. ARGV[1]
if redis.call('HGET', key, 'owner') ~= ARGV[2] then return false end
if redis.call('EXISTS', 'ferry:inst:' .. ARGV[2]) == 1 then return false end
redis.call('HSET', key, 'owner', ARGV[3])
return redis.call('HGET', key, 'rec')
)lua";

// Messages between instances: op, the sender's instance id, a connection id of the edge, an
// argument (a close code, a byte count, flags), then the payload. Ops to an owner are upper
// case, ops to an edge lower case:
//   O open (arg 1: its token was valid; payload: address '\0' entry), T text, B binary,
//   C the client left, A/K binary/text bytes delivered;  t text, b binary, c close (arg: code),
//   a bytes handled.
constexpr size_t kInstanceChars = 16;
constexpr size_t kHeaderBytes = 1 + kInstanceChars + 8 + 8;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

uint64_t cost_of(size_t bytes) { return bytes + kQueuedMessageOverhead; }

Error unavailable() {
  return make_error("redis_unavailable", "the shared room store is unreachable; try again shortly");
}

std::string reply_str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len)
                                                                                : std::string();
}

// Record layout: 'R' 1, token hash, code (flag, u32), claimed code (flag, u32), two seats (flags,
// resume hash), age (i64), code failures, room failures (i32 each); little-endian.
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kRecordBytes = 2 + 32 + 5 + 5 + 2 * 33 + 8 + 4 + 4;

void put_opt(std::string& out, const std::optional<uint32_t>& n) {
  out.push_back(n ? 1 : 0);
  uint32_t v = n.value_or(0);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_u32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

}  // namespace

std::string encode_record(const RoomRecord& r) {
  std::string out;
  out.reserve(kRecordBytes);
  out.push_back('R');
  out.push_back(static_cast<char>(kRecordVersion));
  out.append(reinterpret_cast<const char*>(r.token_hash.data()), r.token_hash.size());
  put_opt(out, r.nameplate);
  put_opt(out, r.claimed_nameplate);
  for (const auto& seat : r.seats) {
    out.push_back(static_cast<char>((seat.claimed ? 1 : 0) | (seat.gone ? 2 : 0) | (seat.confirmed ? 4 : 0) |
                                    (seat.by_nameplate ? 8 : 0)));
    out.append(reinterpret_cast<const char*>(seat.resume_hash.data()), seat.resume_hash.size());
  }
  put_u64(out, static_cast<uint64_t>(r.age_ms));
  for (int v : {r.code_failures, r.total_failures}) {
    auto u = static_cast<uint32_t>(v);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  return out;
}

std::optional<RoomRecord> decode_record(std::string_view in) {
  if (in.size() != kRecordBytes || in[0] != 'R' || static_cast<uint8_t>(in[1]) != kRecordVersion) return std::nullopt;
  RoomRecord r;
  size_t at = 2;
  std::memcpy(r.token_hash.data(), in.data() + at, 32);
  at += 32;
  for (auto* n : {&r.nameplate, &r.claimed_nameplate}) {
    if (in[at]) *n = get_u32(in.substr(at + 1));
    at += 5;
  }
  for (auto& seat : r.seats) {
    auto flags = static_cast<uint8_t>(in[at]);
    seat.claimed = flags & 1;
    seat.gone = flags & 2;
    seat.confirmed = flags & 4;
    seat.by_nameplate = flags & 8;
    std::memcpy(seat.resume_hash.data(), in.data() + at + 1, 32);
    at += 33;
  }
  r.age_ms = static_cast<int64_t>(get_u64(in.substr(at)));
  at += 8;
  r.code_failures = static_cast<int>(get_u32(in.substr(at)));
  r.total_failures = static_cast<int>(get_u32(in.substr(at + 4)));
  return r;
}

// The window of one connection's forwarded messages (edge side), closed until the lookup that
// routes it has finished: the connection's reads wait on it like on a full receiver.
class RedisRooms::Gate : public Peer {
 public:
  explicit Gate(std::weak_ptr<Peer> client) : client_(std::move(client)) {}
  void send(Outgoing) override {}
  // The session waited a whole idle timeout for the window: the room's instance is not reading.
  void close(CloseCode code) override {
    if (auto c = client_.lock()) c->close(code);
  }
  size_t queued_bytes() const override {
    std::lock_guard lock(mu_);
    return unacked_;
  }
  size_t queued_text_bytes() const override { return queued_bytes(); }
  void when_drained(Drain, std::function<void()> done) override {
    {
      std::lock_guard lock(mu_);
      if (!ready()) {
        waiters_.push_back(std::move(done));
        return;
      }
    }
    done();
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    release();
  }
  void add(uint64_t n) {
    std::lock_guard lock(mu_);
    unacked_ += n;
  }
  void ack(uint64_t n) {
    {
      std::lock_guard lock(mu_);
      unacked_ -= std::min<uint64_t>(n, unacked_);
    }
    release();
  }
  std::shared_ptr<Peer> client() const { return client_.lock(); }

 private:
  bool ready() const { return open_ && unacked_ <= kRelayQueueLowBytes; }
  void release() {
    std::vector<std::function<void()>> done;
    {
      std::lock_guard lock(mu_);
      if (!ready()) return;
      done.swap(waiters_);
    }
    for (auto& d : done) d();
  }

  std::weak_ptr<Peer> client_;
  mutable std::mutex mu_;
  bool open_ = false;
  uint64_t unacked_ = 0;
  std::vector<std::function<void()>> waiters_;
};

// A client of another instance, as this (its room's) instance sees it: what it is sent goes to
// its instance's channel, and its queue is what that instance has not yet acknowledged.
class RedisRooms::Remote : public Peer {
 public:
  Remote(std::weak_ptr<RedisRooms> rooms, std::string edge, PeerId conn)
      : rooms_(std::move(rooms)), edge_(std::move(edge)), conn_(conn) {}
  PeerId id = 0;  // this instance's id of it, set once attached

  void send(Outgoing m) override {
    uint64_t cost = cost_of(m.data->size());
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      unacked_ += cost;
      if (!m.binary) unacked_text_ += cost;
    }
    if (auto r = rooms_.lock()) r->publish(edge_, m.binary ? 'b' : 't', conn_, 0, *m.data);
  }
  void close(CloseCode code) override {
    if (!gone()) return;
    if (auto r = rooms_.lock()) {
      r->publish(edge_, 'c', conn_, static_cast<uint64_t>(code), "");
      net::post(r->ioc_, [r, key = RemoteKey{edge_, conn_}] { r->drop_remote(key); });
    }
  }
  size_t queued_bytes() const override {
    std::lock_guard lock(mu_);
    return unacked_;
  }
  size_t queued_text_bytes() const override {
    std::lock_guard lock(mu_);
    return unacked_text_;
  }
  void when_drained(Drain which, std::function<void()> done) override {
    {
      std::lock_guard lock(mu_);
      if (!closed_ && !drained(which)) {
        waiters_.emplace_back(which, std::move(done));
        return;
      }
    }
    done();
  }
  void ack(uint64_t n, bool text) {
    {
      std::lock_guard lock(mu_);
      unacked_ -= std::min<uint64_t>(n, unacked_);
      if (text) unacked_text_ -= std::min<uint64_t>(n, unacked_text_);
    }
    release(false);
  }
  // Nothing more goes to it; true the first time.
  bool gone() {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      closed_ = true;
    }
    release(true);
    return true;
  }

 private:
  bool drained(Drain which) const {
    return which == Drain::kText ? unacked_text_ <= kTextQueueLowBytes : unacked_ <= kRelayQueueLowBytes;
  }
  void release(bool all) {
    std::vector<std::function<void()>> done;
    {
      std::lock_guard lock(mu_);
      std::vector<std::pair<Drain, std::function<void()>>> waiting;
      for (auto& w : waiters_) {
        if (all || closed_ || drained(w.first)) {
          done.push_back(std::move(w.second));
        } else {
          waiting.push_back(std::move(w));
        }
      }
      waiters_.swap(waiting);
    }
    for (auto& d : done) d();
  }

  std::weak_ptr<RedisRooms> rooms_;
  std::string edge_;
  PeerId conn_;
  mutable std::mutex mu_;
  bool closed_ = false;
  uint64_t unacked_ = 0, unacked_text_ = 0;
  std::vector<std::pair<Drain, std::function<void()>>> waiters_;
};

RedisRooms::RedisRooms(net::io_context& ioc, RedisTarget target, std::shared_ptr<SharedState> state)
    : ioc_(ioc), state_(std::move(state)), heartbeat_timer_(ioc) {
  uint8_t raw[kInstanceChars / 2];
  randombytes_buf(raw, sizeof raw);
  static const char* kHex = "0123456789abcdef";
  for (uint8_t b : raw) {
    instance_.push_back(kHex[b >> 4]);
    instance_.push_back(kHex[b & 15]);
  }
  // The links are made here, their callbacks bound in start() (shared_from_this needs an owner).
  cmd_ = std::make_shared<RedisLink>(ioc, target, [this](bool up, std::string_view) {
    {
      std::lock_guard lock(mu_);
      cmd_up_ = up;
    }
    if (up) cmd_->command({"SET", kInstanceKey + instance_, "1", "PX", std::to_string(kPresenceTtl.count())});
    on_status();
  });
  sub_ = std::make_shared<RedisLink>(
      ioc, target,
      [this](bool up, std::string_view) {
        if (!up) {
          {
            std::lock_guard lock(mu_);
            subscribed_ = false;
          }
          return on_status();
        }
        auto weak = weak_from_this();
        sub_->command({"SUBSCRIBE", kChannel + instance_}, [weak](redisReply* r) {
          auto self = weak.lock();
          if (!self || !r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
          std::string kind = reply_str(r->element[0]);
          if (kind == "subscribe") {
            {
              std::lock_guard lock(self->mu_);
              self->subscribed_ = true;
            }
            self->on_status();
          } else if (kind == "message" && r->element[2]->type == REDIS_REPLY_STRING) {
            self->on_message(std::string_view(r->element[2]->str, r->element[2]->len));
          }
        });
      },
      /*ping=*/false);
}

void RedisRooms::start() {
  log_event("redis_rooms", {{"instance", instance_}});
  cmd_->start();
  sub_->start();
  heartbeat();
}

void RedisRooms::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  heartbeat_timer_.cancel();
  sub_->stop();
  auto self = shared_from_this();
  cmd_->command({"DEL", kInstanceKey + instance_}, [self](redisReply*) { self->cmd_->stop(); });
}

void RedisRooms::on_status() {
  bool up;
  {
    std::lock_guard lock(mu_);
    up = cmd_up_ && subscribed_;
  }
  state_->set_redis_up(up);
}

void RedisRooms::publish(const std::string& to, char op, PeerId conn, uint64_t arg, std::string_view payload) {
  std::string m;
  m.reserve(kHeaderBytes + payload.size());
  m.push_back(op);
  m += instance_;
  put_u64(m, conn);
  put_u64(m, arg);
  m.append(payload);
  cmd_->command({"PUBLISH", kChannel + to, std::move(m)});
}

void RedisRooms::on_message(std::string_view m) {
  // From our own instances, but checked all the same: a short message is dropped.
  if (m.size() < kHeaderBytes) return;
  char op = m[0];
  std::string from(m.substr(1, kInstanceChars));
  PeerId conn = get_u64(m.substr(1 + kInstanceChars));
  uint64_t arg = get_u64(m.substr(1 + kInstanceChars + 8));
  std::string_view payload = m.substr(kHeaderBytes);
  if (op >= 'a' && op <= 'z') {
    on_edge_message(op, conn, arg, payload);
  } else {
    on_owner_message(op, from, conn, arg, payload);
  }
}

void RedisRooms::on_edge_message(char op, PeerId conn, uint64_t arg, std::string_view payload) {
  std::shared_ptr<Gate> gate;
  std::string owner;
  {
    std::lock_guard lock(mu_);
    auto it = tunnels_.find(conn);
    if (it == tunnels_.end()) return;  // the client has gone
    gate = it->second.gate;
    owner = it->second.owner;
  }
  auto client = gate->client();
  if (op == 'a') return gate->ack(arg);
  if (op == 'c') {
    end_tunnel(conn);
    if (client) client->close(static_cast<CloseCode>(arg));
    return;
  }
  if ((op != 't' && op != 'b') || !client) return;
  bool binary = op == 'b';
  // A client's messages are bounded by the room's instance (its parse and limits); this is the
  // same bound again, for what arrives from Redis.
  if (payload.size() > (binary ? proto::kMaxRelayFrameBytes : 2 * state_->config().max_message + 4096)) return;
  client->send(Outgoing{std::make_shared<const std::string>(payload), binary});
  auto ack = [self = shared_from_this(), owner, conn, cost = cost_of(payload.size()), binary] {
    self->publish(owner, binary ? 'A' : 'K', conn, cost, "");
  };
  bool full = binary ? client->queued_bytes() > kRelayQueueHighBytes : client->queued_text_bytes() > kTextQueueHighBytes;
  if (full) {
    client->when_drained(binary ? Peer::Drain::kAll : Peer::Drain::kText, ack);
  } else {
    ack();
  }
}

void RedisRooms::on_owner_message(char op, const std::string& edge, PeerId conn, uint64_t arg,
                                  std::string_view payload) {
  RemoteKey key{edge, conn};
  if (op == 'O') {
    size_t nul = payload.find('\0');
    if (nul == std::string_view::npos) return;
    drop_remote(key);  // a repeated open replaces the first
    auto remote = std::make_shared<Remote>(weak_from_this(), edge, conn);
    CloseCode refusal{};
    auto id = state_->attach(remote, std::string(payload.substr(0, nul)), &refusal);
    if (!id) return publish(edge, 'c', conn, static_cast<uint64_t>(refusal), "");
    remote->id = *id;
    {
      std::lock_guard lock(mu_);
      remotes_[key] = remote;
    }
    if (arg & 1) state_->set_jwt(*id, JwtCheck{JwtVerdict::kValid, "checked by its instance"});
    std::string_view text = payload.substr(nul + 1);
    return ack_after(state_->on_text(*id, text), edge, conn, cost_of(text.size()));
  }
  std::shared_ptr<Remote> remote;
  {
    std::lock_guard lock(mu_);
    auto it = remotes_.find(key);
    if (it != remotes_.end()) remote = it->second;
  }
  if (!remote) return;  // closed here while the message was on its way
  switch (op) {
    case 'T':
      return ack_after(state_->on_text(remote->id, payload), edge, conn, cost_of(payload.size()));
    case 'B':
      return ack_after(state_->on_binary(remote->id, payload), edge, conn, cost_of(payload.size()));
    case 'C':
      return drop_remote(key);
    case 'A':
      return remote->ack(arg, false);
    case 'K':
      return remote->ack(arg, true);
    default:
      return;
  }
}

void RedisRooms::ack_after(const ReadPause& pause, const std::string& edge, PeerId conn, uint64_t cost) {
  auto ack = [self = shared_from_this(), edge, conn, cost] { self->publish(edge, 'a', conn, cost, ""); };
  auto then = [ack, receiver = pause.receiver, drain = pause.drain] {
    if (auto r = receiver.lock()) {
      r->when_drained(drain, ack);
    } else {
      ack();
    }
  };
  if (pause.wait_ms <= 0) return then();
  auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(pause.wait_ms));
  timer->async_wait([timer, then](beast::error_code) { then(); });
}

std::weak_ptr<Peer> RedisRooms::route(PeerId id, std::weak_ptr<Peer> client, const std::string& ip, bool jwt_valid,
                                      Key kind, std::string key, std::string text) {
  // A client of another instance is routed there already: its room is gone from here.
  if (dynamic_cast<Remote*>(client.lock().get())) {
    refuse_entry(id, text);
    return {};
  }
  auto gate = std::make_shared<Gate>(std::move(client));
  {
    std::lock_guard lock(mu_);
    tunnels_[id] = Tunnel{gate, ""};
  }
  lookup(id, kind, std::move(key), std::move(text), jwt_valid, ip, 0);
  return gate;
}

void RedisRooms::refuse_entry(PeerId id, const std::string& text) {
  // The answers a single instance gives for a room or code it does not have.
  auto m = proto::parse_client_message(text);
  Error e = m && std::holds_alternative<proto::Rejoin>(*m)
                ? make_error("resume_refused", "no room with this id and resume token")
            : m && std::holds_alternative<proto::JoinByNameplate>(*m) ? make_error("no_such_nameplate", "no room with this code")
                                                                       : make_error("join_refused", "no room with this id and token");
  state_->reply_error(id, e);
}

void RedisRooms::lookup(PeerId id, Key kind, std::string key, std::string text, bool jwt_valid, std::string ip,
                        int attempt) {
  std::vector<std::string> argv{"EVAL", kFindScript, "0", kind == Key::kNameplate ? "n" : "r", key};
  cmd_->command(std::move(argv), [self = shared_from_this(), id, kind, key, text, jwt_valid, ip,
                                  attempt](redisReply* r) {
    std::shared_ptr<Gate> gate;
    {
      std::lock_guard lock(self->mu_);
      auto it = self->tunnels_.find(id);
      if (it == self->tunnels_.end()) return;  // the client left meanwhile
      gate = it->second.gate;
    }
    if (!r || r->type == REDIS_REPLY_ERROR) {
      self->state_->reply_error(id, unavailable());
      return self->end_tunnel(id);
    }
    bool found = r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_INTEGER;
    std::string room = found ? reply_str(r->element[0]) : "";
    std::string owner = found ? reply_str(r->element[1]) : "";
    // Ours, yet not held here: a room that ended (its key outlives it by moments).
    if (!found || owner == self->instance_ || owner.size() != kInstanceChars) {
      self->refuse_entry(id, text);
      return self->end_tunnel(id);
    }
    if (r->element[2]->integer == 0) {
      return self->take_over(id, room, owner, kind, key, text, jwt_valid, ip, attempt);
    }
    {
      std::lock_guard lock(self->mu_);
      auto it = self->tunnels_.find(id);
      if (it == self->tunnels_.end()) return;
      it->second.owner = owner;
    }
    self->state_->set_forwarded(id);
    std::string payload = ip;
    payload.push_back('\0');
    payload += text;
    gate->add(cost_of(text.size()));
    self->publish(owner, 'O', id, jwt_valid ? 1 : 0, payload);
    gate->open();
  });
}

void RedisRooms::take_over(PeerId id, const std::string& room, const std::string& dead, Key kind, std::string key,
                           std::string text, bool jwt_valid, std::string ip, int attempt) {
  std::vector<std::string> argv{"EVAL", kTakeOverScript, "0", room, dead, instance_};
  cmd_->command(std::move(argv), [self = shared_from_this(), id, room, dead, kind, key, text, jwt_valid, ip,
                                  attempt](redisReply* r) {
    if (!r || r->type == REDIS_REPLY_ERROR) {
      self->state_->reply_error(id, unavailable());
      return self->end_tunnel(id);
    }
    if (r->type != REDIS_REPLY_STRING) {
      // Another instance took it over first (or the owner came back): route again, once.
      if (attempt == 0) return self->lookup(id, kind, key, text, jwt_valid, ip, 1);
      self->refuse_entry(id, text);
      return self->end_tunnel(id);
    }
    auto record = decode_record(std::string_view(r->str, r->len));
    if (!record) {
      self->refuse_entry(id, text);
      return self->end_tunnel(id);
    }
    record->id = room;
    (void)self->state_->import_room(*record);  // refused only when it came here already
    log_event("room_taken_over", {{"room", room_tag(room)}, {"from", dead}});
    std::shared_ptr<Gate> gate;
    {
      std::lock_guard lock(self->mu_);
      auto it = self->tunnels_.find(id);
      if (it == self->tunnels_.end()) return;
      gate = it->second.gate;
      self->tunnels_.erase(it);
    }
    self->state_->on_text(id, text);  // the room is held here now; the entry is answered here
    gate->open();
  });
}

void RedisRooms::end_tunnel(PeerId id) {
  std::shared_ptr<Gate> gate;
  {
    std::lock_guard lock(mu_);
    auto it = tunnels_.find(id);
    if (it == tunnels_.end()) return;
    gate = it->second.gate;
    tunnels_.erase(it);
  }
  gate->open();
}

ReadPause RedisRooms::forward(PeerId id, std::string_view data, bool binary) {
  ReadPause pause;
  std::shared_ptr<Gate> gate;
  std::string owner;
  {
    std::lock_guard lock(mu_);
    auto it = tunnels_.find(id);
    if (it == tunnels_.end() || it->second.owner.empty()) return pause;  // its room's instance is gone
    gate = it->second.gate;
    owner = it->second.owner;
  }
  gate->add(cost_of(data.size()));
  publish(owner, binary ? 'B' : 'T', id, 0, data);
  if (gate->queued_bytes() > kRelayQueueHighBytes) pause.receiver = gate;
  return pause;
}

void RedisRooms::detached(PeerId id) {
  std::shared_ptr<Gate> gate;
  std::string owner;
  {
    std::lock_guard lock(mu_);
    auto it = tunnels_.find(id);
    if (it == tunnels_.end()) return;
    gate = it->second.gate;
    owner = it->second.owner;
    tunnels_.erase(it);
  }
  if (!owner.empty()) publish(owner, 'C', id, 0, "");
  gate->open();
}

void RedisRooms::drop_remote(const RemoteKey& key) {
  std::shared_ptr<Remote> remote;
  {
    std::lock_guard lock(mu_);
    auto it = remotes_.find(key);
    if (it == remotes_.end()) return;
    remote = it->second;
    remotes_.erase(it);
  }
  remote->gone();
  state_->detach(remote->id);
}

std::weak_ptr<Peer> RedisRooms::created(PeerId id, std::weak_ptr<Peer> client, proto::Created message,
                                        RoomRecord record) {
  auto gate = std::make_shared<Gate>(client);
  claim(id, std::move(client), std::move(message), std::move(record), gate, 0);
  return gate;
}

std::vector<std::string> RedisRooms::store_args(const RoomRecord& r) const {
  int64_t ttl = std::max<int64_t>(1000, state_->config().rooms.hard_cap_ms - r.age_ms);
  return {"EVAL", kStoreScript, "0", r.id, instance_, encode_record(r),
          r.nameplate ? std::to_string(*r.nameplate) : "", std::to_string(ttl)};
}

void RedisRooms::claim(PeerId id, std::weak_ptr<Peer> client, proto::Created message, RoomRecord record,
                       std::shared_ptr<Gate> gate, int attempt) {
  cmd_->command(store_args(record), [self = shared_from_this(), id, client, message, gate,
                                     attempt](redisReply* r) mutable {
    if (!r || r->type != REDIS_REPLY_INTEGER) {
      self->state_->reply_error(id, unavailable());
      return gate->open();
    }
    if (r->integer == 0 && attempt + 1 < kCodeClaimAttempts) {
      // Another instance's room holds the code: this one gets another before anyone sees it.
      uint64_t range = kCodeRetryRange;
      for (int i = 0; i < attempt; ++i) range *= kCodeRangeGrowth;
      std::string code = self->state_->reroll_code(id, range);
      auto again = self->state_->room_record(message.room);
      if (!code.empty() && again) {
        message.nameplate = code;
        return self->claim(id, client, std::move(message), std::move(*again), gate, attempt + 1);
      }
    }
    if (r->integer != 1) {
      message.nameplate.clear();  // it works by link only
      self->state_->drop_code(message.room);
    }
    if (auto c = client.lock()) {
      c->send(Outgoing{std::make_shared<const std::string>(proto::serialize(proto::ServerMessage{message})), false});
    }
    gate->open();
  });
}

void RedisRooms::store(std::vector<std::pair<std::string, std::optional<RoomRecord>>> rooms) {
  for (auto& [id, record] : rooms) {
    auto on_reply = [weak = weak_from_this(), room = id](redisReply* r) {
      auto self = weak.lock();
      if (!self || !r || r->type != REDIS_REPLY_INTEGER || r->integer == 1) return;
      if (r->integer == 0) {
        // Its code (offered again after a failed attempt) went to another instance's room meanwhile.
        log_event("code_lost", {{"room", room_tag(room)}});
        return self->state_->drop_code(room);
      }
      // This instance was counted dead (its presence lapsed) and the room was taken over: its
      // peers here go to the new owner.
      log_event("room_lost", {{"room", room_tag(room)}, {"reason", "owned_by_another_instance"}});
      self->state_->drop_room(room);
    };
    if (record) {
      cmd_->command(store_args(*record), on_reply);
    } else {
      cmd_->command({"EVAL", kDropScript, "0", id, instance_});
    }
  }
}

void RedisRooms::heartbeat() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  cmd_->command({"SET", kInstanceKey + instance_, "1", "PX", std::to_string(kPresenceTtl.count())});
  std::set<std::string> others;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, t] : tunnels_) {
      if (!t.owner.empty()) others.insert(t.owner);
    }
    for (const auto& [key, r] : remotes_) others.insert(key.first);
  }
  for (const auto& inst : others) {
    cmd_->command({"EXISTS", kInstanceKey + inst}, [weak = weak_from_this(), inst](redisReply* r) {
      auto self = weak.lock();
      // No answer says nothing about the other instance: only a clear 0 counts it dead.
      if (self && r && r->type == REDIS_REPLY_INTEGER && r->integer == 0) self->instance_dead(inst);
    });
  }
  heartbeat_timer_.expires_after(kPresenceRefresh);
  heartbeat_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->heartbeat();
  });
}

void RedisRooms::instance_dead(const std::string& inst) {
  std::vector<std::shared_ptr<Gate>> moved;
  std::vector<RemoteKey> gone;
  {
    std::lock_guard lock(mu_);
    for (auto it = tunnels_.begin(); it != tunnels_.end();) {
      if (it->second.owner == inst) {
        moved.push_back(it->second.gate);
        it = tunnels_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, r] : remotes_) {
      if (key.first == inst) gone.push_back(key);
    }
  }
  if (moved.empty() && gone.empty()) return;
  log_event("instance_lost", {{"instance", inst},
                              {"moved", std::to_string(moved.size())},
                              {"detached", std::to_string(gone.size())}});
  // Its rooms are taken over by the first rejoin: these clients reconnect and rejoin.
  for (auto& gate : moved) {
    if (auto c = gate->client()) c->close(CloseCode::kMoved);
    gate->open();
  }
  for (const auto& key : gone) drop_remote(key);
}

}  // namespace ferry::server
