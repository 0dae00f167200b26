// --redis: rooms shared by several ferry-server instances through Redis.
//
// A room lives on the instance that created it (its owner), which runs it with the same
// RoomRegistry and SharedState as a single instance: every limit, counter and parse of the
// room's messages happens there, once. Redis holds what the other instances need to find it,
// and to take it over when the owner dies:
//   ferry:room:<id>    hash {owner, rec: the RoomRecord (hashes of the token and the resume
//                      tokens, seats, failure counters), np}; TTL: the room's hard cap left
//   ferry:np:<number>  the room id of a short code, claimed SET NX style; TTL as the room's
//   ferry:inst:<id>    an instance's presence; PX kPresenceTtl, refreshed every kPresenceRefresh
// Every write is one Lua script (EVAL, atomic): a code is claimed only when free, a record is
// written only by its owner, and a room is taken over only from an owner whose presence expired.
//
// A client that joins (or rejoins) a room of another instance stays connected to its own
// instance (the edge), which forwards its messages to the owner over the owner's channel
// ferry:i:<owner> (PUBLISH), and the owner's messages for it come back over ferry:i:<edge>. On
// the owner it is a Peer like any other (Remote), attached with the client's address. Each
// direction is ordered: one publishing connection per instance, one subscribed connection per
// instance, and Redis keeps the order of both. Pub/sub, not streams: a message is only worth
// delivering while both connections are live (a lost instance loses its WebSocket connections
// too, and the clients resume), so nothing needs to be kept for a reader that comes later, and
// pub/sub costs no memory in Redis beyond a subscriber's output buffer.
//
// Backpressure across instances is a window: the sending side counts the bytes of its messages
// (each plus kQueuedMessageOverhead) not yet acknowledged and stops reading its sender above
// kRelayQueueHighBytes, until below kRelayQueueLowBytes. The receiving side acknowledges a
// message once it is handed on and the local receiver holds less than its high mark (else once
// that drained), and, on the owner, only after the room's rate budget's pause: the same budgets
// and marks as on one instance, and at most one window per connection in flight through Redis.
//
// An instance whose presence key expired is dead to the others: an edge closes the clients it
// forwarded there with kMoved (they reconnect and rejoin), an owner detaches the clients that
// came from there (their seats wait out the grace), and the first rejoin (or join) of a dead
// instance's room takes it over from its record.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "beast.h"
#include "redis_link.h"
#include "remote_rooms.h"
#include "shared_state.h"

namespace ferry::server {

// An instance's presence lasts this long without a refresh: three refreshes, so one late
// heartbeat on a busy machine does not count it dead, while a dead one is noticed within ~4 s.
constexpr auto kPresenceTtl = std::chrono::milliseconds(3000);
constexpr auto kPresenceRefresh = std::chrono::milliseconds(1000);
// A new room whose code another instance holds gets another one, this many times at most (then
// it works by link only, and the creator is told so). Each retry picks from a range
// kCodeRangeGrowth times wider than the last, starting at kCodeRetryRange: this instance's own
// range counts only its rooms, and the other instances' (or a dead one's, until their TTLs)
// may fill it (a bench with 1000 rooms per instance fell to link only at three retries in 99).
constexpr int kCodeClaimAttempts = 5;
constexpr uint64_t kCodeRetryRange = 1000;
constexpr uint64_t kCodeRangeGrowth = 10;

// The record's bytes in Redis (fixed size, checked when read back).
std::string encode_record(const RoomRecord& r);
std::optional<RoomRecord> decode_record(std::string_view bytes);

class RedisRooms : public RemoteRooms, public std::enable_shared_from_this<RedisRooms> {
 public:
  RedisRooms(net::io_context& ioc, RedisTarget target, std::shared_ptr<SharedState> state);
  // Connects both links (commands; the subscription) and starts the heartbeat.
  void start();
  // Deletes this instance's presence (so its rooms can be taken over at once), then stops.
  void stop();
  const std::string& instance() const { return instance_; }

  std::weak_ptr<Peer> route(PeerId id, std::weak_ptr<Peer> client, const std::string& ip, bool jwt_valid, Key kind,
                            std::string key, std::string text) override;
  ReadPause forward(PeerId id, std::string_view data, bool binary) override;
  void detached(PeerId id) override;
  std::weak_ptr<Peer> created(PeerId id, std::weak_ptr<Peer> client, protocol::Created message,
                              RoomRecord record) override;
  void store(std::vector<std::pair<std::string, std::optional<RoomRecord>>> rooms) override;

  class Gate;    // a connection waiting on Redis, or its forwarding window (edge side)
  class Remote;  // a client of another instance in one of this instance's rooms (owner side)

 private:
  using RemoteKey = std::pair<std::string, PeerId>;  // the edge instance, its connection id

  void on_status();
  void on_message(std::string_view payload);
  void on_edge_message(char op, PeerId conn, uint64_t arg, std::string_view payload);
  void on_owner_message(char op, const std::string& edge, PeerId conn, uint64_t arg, std::string_view payload);
  void publish(const std::string& to, char op, PeerId conn, uint64_t arg, std::string_view payload);
  // The owner's acknowledgement of a message of `cost` bytes, after the pause it earned.
  void ack_after(const ReadPause& pause, const std::string& edge, PeerId conn, uint64_t cost);
  void lookup(PeerId id, Key kind, std::string key, std::string text, bool jwt_valid, std::string ip, int attempt);
  void take_over(PeerId id, const std::string& room, const std::string& dead, Key kind, std::string key,
                 std::string text, bool jwt_valid, std::string ip, int attempt);
  void refuse_entry(PeerId id, const std::string& text);
  void claim(PeerId id, std::weak_ptr<Peer> client, protocol::Created message, RoomRecord record,
             std::shared_ptr<Gate> gate, int attempt);
  void end_tunnel(PeerId id);
  void drop_remote(const RemoteKey& key);
  void heartbeat();
  void instance_dead(const std::string& inst);
  std::vector<std::string> store_args(const RoomRecord& r) const;

  net::io_context& ioc_;
  std::shared_ptr<SharedState> state_;
  std::string instance_;  // 16 random hex digits, new at each start
  std::shared_ptr<RedisLink> cmd_;
  std::shared_ptr<RedisLink> sub_;
  net::steady_timer heartbeat_timer_;
  std::mutex mu_;  // guards the fields below; nothing is called out while it is held
  bool cmd_up_ = false;
  bool subscribed_ = false;
  bool stopped_ = false;
  struct Tunnel {
    std::shared_ptr<Gate> gate;
    std::string owner;  // empty while the lookup runs
  };
  std::unordered_map<PeerId, Tunnel> tunnels_;
  std::map<RemoteKey, std::shared_ptr<Remote>> remotes_;
};

}  // namespace ferry::server
