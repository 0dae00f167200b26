// The state every connection shares: the room registry, per-IP limits, relay budgets, open
// connections and metrics, behind one mutex. It is plain C++ (no Beast): a connection is a Peer
// that can be sent a message or closed, so the whole signalling logic is unit-tested and fuzzed
// without sockets. Decisions are collected under the mutex and carried out after it is released,
// so a slow peer never holds the lock.
//
// The relays never drop for lack of budget: on_binary (and on_text, for text relays) forwards
// the message and tells the connection how long to stop reading (ReadPause), so TCP
// backpressure reaches the sender: for its room's byte budget, for a receiver holding too much
// (4 MiB in all, or 1 MiB of text), and for the server's queues together (--max-queued-bytes).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "close_codes.h"
#include "config.h"
#include "jwt_auth.h"
#include "metrics.h"
#include "presence.h"
#include "protocol/signal.h"
#include "remote_rooms.h"
#include "room_registry.h"
#include "token_bucket.h"

namespace ferry::server {

// One WebSocket message on its way out: a JSON envelope, or a relayed binary frame.
struct Outgoing {
  std::shared_ptr<const std::string> data;
  bool binary = false;
};

// A receiver whose unsent bytes pass this mark stops the relay from reading its sender: at the
// default 4 MiB/s that is one second of data, enough to keep the receiver's link busy.
constexpr size_t kRelayQueueHighBytes = 4 * 1024 * 1024;
// The sender reads again once the receiver is down to this; the gap keeps the pause from
// flapping on every frame.
constexpr size_t kRelayQueueLowBytes = 2 * 1024 * 1024;
// Each queued message costs its bytes plus this much (allocation, control block, queue slot),
// so a flood of tiny frames is bounded by the same marks as a few large ones.
constexpr size_t kQueuedMessageOverhead = 128;
// A receiver whose unsent text (signalling) passes this mark stops its sender from being read.
// A whole session's signalling is tens of KiB; 1 MiB is 16 of the largest messages, so only a
// peer that does not read, or a sender abusing text as a data channel, ever reaches it.
constexpr size_t kTextQueueHighBytes = 1024 * 1024;
constexpr size_t kTextQueueLowBytes = 512 * 1024;
// Above --max-queued-bytes over all connections, each message read pauses its sender this long
// before the next read: the queues drain at the receivers' pace while nobody adds much.
constexpr int64_t kGlobalQueuePauseMs = 100;
// A relayed frame costs at least this much of the byte budget: chunk frames (64 KiB) pay their
// size, and a flood of tiny frames is held to about 1000 frames per second at the default rate.
constexpr size_t kMinRelayCharge = 4 * 1024;

// One WebSocket connection, as the shared state sees it.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual void send(Outgoing message) = 0;
  virtual void close(CloseCode code) = 0;
  // Bytes handed to send() and not yet written (each message plus kQueuedMessageOverhead).
  virtual size_t queued_bytes() const = 0;
  // The text messages among them.
  virtual size_t queued_text_bytes() const = 0;
  // Calls done once the queue is drained (kAll: queued_bytes() at most kRelayQueueLowBytes;
  // kText: queued_text_bytes() at most kTextQueueLowBytes), or the connection is gone; at once
  // when it already is. done may run on any thread.
  enum class Drain { kAll, kText };
  virtual void when_drained(Drain which, std::function<void()> done) = 0;
};

// What a connection does after a message, before it reads the next one.
struct ReadPause {
  int64_t wait_ms = 0;            // a budget is in debt: read again after this long
  std::weak_ptr<Peer> receiver;   // set when the receiver holds too much: read again once it drained
  Peer::Drain drain = Peer::Drain::kAll;  // which of the receiver's queues
};

struct Clocks {
  std::function<int64_t()> now_ms;    // monotonic milliseconds
  std::function<int64_t()> unix_ms;   // wall clock, for the expiry times peers are told
};
Clocks system_clocks();

class SharedState {
 public:
  // jwt: the verifier of --jwt-key (loaded by the caller), or null when tokens are not checked.
  SharedState(Config config, Clocks clocks, RandomFn rng, std::shared_ptr<const JwtVerifier> jwt = nullptr);

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }

  // Admission of a new WebSocket connection from ip (its limit key, see client_address.h). On success returns its id; the caller must
  // call detach(id) when it ends. On refusal returns the close code (the caller closes).
  Result<PeerId> attach(std::weak_ptr<Peer> peer, const std::string& ip, CloseCode* refusal);
  // A connection that offers a token calls these once attached (so the admission limits refuse
  // before a signature is checked) and before it reads its first message: admit_jwt_check takes
  // one check from the address's budget (false: refused, close with kJoinsPerIp), check_jwt
  // verifies against --jwt-key without the lock (kAbsent when none is configured or offered),
  // and set_jwt keeps the verdict.
  bool admit_jwt_check(PeerId id);
  JwtCheck check_jwt(std::string_view token) const;
  // What the connection's token proved, consulted by its creates and joins (--jwt-required).
  void set_jwt(PeerId id, JwtCheck jwt);
  void detach(PeerId id);

  // One message from a connection, and how long to wait before reading the next.
  ReadPause on_text(PeerId id, std::string_view text);
  ReadPause on_binary(PeerId id, std::string_view frame);

  // Bytes queued for sending over all connections: each Peer adds what it queues and takes away
  // what it wrote or dropped (its own queued_bytes() is the part it holds).
  void add_queued(int64_t delta) { queued_total_ += delta; }
  int64_t queued_total() const { return queued_total_.load(); }

  // Expires rooms; call a few times a second.
  void sweep();
  // Closes every connection with `code` (kShutdown; kMoved at the end of a drain).
  void shutdown(CloseCode code = CloseCode::kShutdown);
  // The drain (SIGTERM with --drain-grace): from here on /readyz fails and new connections are
  // refused; live ones go on until shutdown(kMoved).
  void start_draining() { draining_ = true; }
  bool draining() const { return draining_.load(); }
  // Why this instance should get no new clients ("draining", "redis_unavailable",
  // "no_web_client"), or "" when it is ready: accepting, its --redis reachable (when given), and
  // its web root holds the page (unless --signal-only).
  std::string not_ready_reason() const;
  // --redis: the link reports whether Redis answers (redis_link.h). While it does not, /readyz
  // fails and a create gets the error redis_unavailable. Without --redis it is never consulted.
  void set_redis_up(bool up) { redis_up_ = up; }
  bool redis_unavailable() const { return config_.redis.has_value() && !redis_up_.load(); }

  std::string metrics_text();
  size_t connection_count();

  // --redis: rooms on other instances (remote_rooms.h). Set once, before the first connection.
  void set_remote(std::shared_ptr<RemoteRooms> remote);
  // For RemoteRooms. set_forwarded: the connection's messages go to its room's instance from now
  // on. reply_error: an error to the connection. reroll_code: the creator's room gets a new code
  // (another instance holds the one it had), "" when none is free. room_record / import_room:
  // a room's record now, and a room taken over from a dead instance.
  void set_forwarded(PeerId id);
  void reply_error(PeerId id, const Error& e);
  std::string reroll_code(PeerId creator, uint64_t min_range);
  std::optional<RoomRecord> room_record(const std::string& room_id);
  Status import_room(const RoomRecord& record);
  // A room another instance took over (this one was counted dead): its connections here are
  // closed with kMoved, to rejoin it there.
  void drop_room(const std::string& room_id);
  // A code Redis gave to another instance's room: it must not lead anyone into this one.
  void drop_code(const std::string& room_id);

 private:
  struct Conn {
    std::weak_ptr<Peer> peer;
    std::string ip;
    TokenBucket messages;
    int bad = 0;
    JwtCheck jwt;
    bool forwarded = false;  // --redis: its room is on another instance (RemoteRooms::forward)
  };
  // Work collected under the mutex, done after it.
  struct Outbox {
    std::vector<std::pair<std::weak_ptr<Peer>, Outgoing>> sends;
    std::vector<std::pair<std::weak_ptr<Peer>, CloseCode>> closes;
    // --redis only: an entry for RemoteRooms::route, a new room for RemoteRooms::created.
    struct Route {
      PeerId id;
      std::weak_ptr<Peer> client;
      std::string ip;
      bool jwt_valid;
      RemoteRooms::Key kind;
      std::string key, text;
    };
    std::optional<Route> route;
    struct Create {
      PeerId id;
      std::weak_ptr<Peer> client;
      protocol::Created message;
      RoomRecord record;
    };
    std::optional<Create> create;
    std::vector<std::pair<std::string, std::optional<RoomRecord>>> stores;  // changed rooms' records
  };

  void send(Outbox& out, PeerId to, const protocol::ServerMessage& m);
  void send_text(Outbox& out, PeerId to, std::string text);  // an envelope already serialized
  void error(Outbox& out, PeerId to, const Error& e);
  void close(Outbox& out, PeerId to, CloseCode code);
  // relay_to: set to the receiver of a text relay, for the queue check after the lock.
  void dispatch(Outbox& out, PeerId id, Conn& conn, const protocol::ClientMessage& m, ReadPause& pause,
                std::weak_ptr<Peer>& relay_to);
  // The pause for the server-wide queue cap, merged into pause.
  void global_pause(ReadPause& pause);
  void joined(Outbox& out, PeerId id, const JoinResult& r, std::string_view how);
  // Closes the connection when --jwt-required wants a valid token for this entry and it has none.
  bool jwt_refused(Outbox& out, PeerId id, const Conn& conn, bool create);
  // A presence message (protocol/nearby.h, server/presence.h).
  void dispatch_nearby(Outbox& out, PeerId id, Conn& conn, const protocol::NearbyClientMessage& m);
  int64_t to_unix_s(int64_t mono_ms) const;
  static void flush(Outbox& out);
  // --redis: the changed rooms' records (under the mutex), and the remote work after it.
  void collect_changes(Outbox& out);
  void flush_remote(Outbox& out, ReadPause* pause);
  // Whether dispatch handed an entry to RemoteRooms::route (under the mutex).
  bool route_entry(Outbox& out, PeerId id, const Conn& conn, const protocol::ClientMessage& m);

  Config config_;
  Clocks clocks_;
  RandomFn rng_;
  std::shared_ptr<const JwtVerifier> jwt_;
  Metrics metrics_;
  std::mutex mutex_;
  RoomRegistry rooms_;
  Presence presence_;
  KeyedBuckets joins_;
  // Token checks per address, at the create/join rate: libjwt 1.10 parses the PEM key for each
  // check, so RS256 and ES256 cost about 0.5 ms of CPU each (HS256 about 11 us), and a stream
  // of new connections with made-up tokens would otherwise buy that for a cheap handshake.
  KeyedBuckets jwt_checks_;
  KeyedBuckets relay_rooms_;              // byte budget per room id, while it is not full
  KeyedBuckets text_rooms_;               // text relay byte budget per room id
  std::atomic<int64_t> queued_total_{0};
  std::optional<TokenBucket> relay_total_;  // the whole server's byte budget, when capped
  std::unordered_map<std::string, size_t> conns_per_ip_;
  std::unordered_map<PeerId, Conn> conns_;
  PeerId next_id_ = 1;
  bool stopping_ = false;
  std::atomic<bool> draining_{false};
  std::atomic<bool> redis_up_{false};  // until the link's first answer
  std::shared_ptr<RemoteRooms> remote_;
};

}  // namespace ferry::server
