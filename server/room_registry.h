// The rooms of one ferry-server process, as plain logic: no sockets, no clocks, no threads.
// Peers are connection ids; time is milliseconds of a monotonic clock handed in; randomness is
// a RandomFn. The caller (SharedState) holds a mutex around it and turns the returned
// decisions into WebSocket messages and closes.
//
// Room lifecycle:
//   create -> [creator alone] --join (token|nameplate)--> [two peers] --drop--> [slot held for
//   grace; rejoin with the slot's resume token] ... destroyed when every claimed slot has been
//   empty for the grace period, when nobody joined within the unjoined TTL, or at the hard cap.
// Join tokens and resume tokens are stored as BLAKE2b hashes and compared in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "close_codes.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::server {

using PeerId = uint64_t;

struct RoomLimits {
  int64_t unjoined_ttl_ms = 10 * 60 * 1000;  // a room nobody joined is dropped after 10 min
  int64_t hard_cap_ms = 24 * 3600 * 1000LL;  // no room lives longer than a day
  int64_t grace_ms = 60 * 1000;              // a dropped peer may rejoin within 60 s
  int max_pake_failures = 3;                 // failed short-code guesses before the nameplate burns
};

struct CreateResult {
  std::string room;
  std::string token;
  std::string nameplate;
  std::string resume;
  int64_t expires_ms = 0;  // unjoined expiry
};

struct JoinResult {
  std::string room;
  std::string resume;
  int64_t expires_ms = 0;  // hard cap
  bool creator = false;
  std::optional<PeerId> other;     // the connected other peer, to get peer_joined
  std::optional<PeerId> replaced;  // a stale connection of the same slot, to close (rejoin)
};

struct PakeResult {
  std::optional<PeerId> evicted;  // the joiner to close with kPakeFailed
  bool burned = false;            // the nameplate is gone for good
};

struct Expired {
  PeerId peer;
  CloseCode code;
};

class RoomRegistry {
 public:
  RoomRegistry(RoomLimits limits, RandomFn rng) : limits_(limits), rng_(std::move(rng)) {}

  Result<CreateResult> create(PeerId peer, int64_t now_ms);
  Result<JoinResult> join_by_token(PeerId peer, const std::string& room, const std::string& token, int64_t now_ms);
  Result<JoinResult> join_by_nameplate(PeerId peer, const std::string& nameplate, int64_t now_ms);
  Result<JoinResult> rejoin(PeerId peer, const std::string& room, const std::string& resume, int64_t now_ms);
  // The other peer of the sender's room.
  Result<PeerId> relay_target(PeerId peer) const;
  // The sender's room and its other peer, who may be away (in grace). For the data relay,
  // which drops frames to an absent peer instead of answering with an error.
  struct RelayRoute {
    const std::string* room;  // valid until the registry changes
    std::optional<PeerId> to;
  };
  Result<RelayRoute> relay_route(PeerId peer) const;
  Result<PakeResult> pake_failed(PeerId peer, int64_t now_ms);
  // The connection closed. Returns the other peer, to get peer_left.
  std::optional<PeerId> disconnect(PeerId peer, int64_t now_ms);
  // Drops expired rooms and slots; returns the connections to close.
  std::vector<Expired> sweep(int64_t now_ms);

  bool in_room(PeerId peer) const { return peers_.count(peer) != 0; }
  size_t room_count() const { return rooms_.size(); }
  size_t peer_count() const { return peers_.size(); }
  size_t nameplate_count() const { return nameplates_.size(); }

 private:
  using Hash = std::array<uint8_t, 32>;
  struct Slot {
    bool claimed = false;
    bool gone = false;  // held past the grace period: the resume token no longer works
    std::optional<PeerId> peer;
    Hash resume_hash{};
    int64_t left_ms = 0;
  };
  struct Room {
    std::string id;
    Hash token_hash{};
    std::optional<uint32_t> nameplate;  // registered in nameplates_ while set
    std::optional<uint32_t> claimed_nameplate;  // the number a joiner used, re-offered after a failed PAKE
    std::array<Slot, 2> slots;  // 0: creator, 1: joiner
    int64_t created_ms = 0;
    int failures = 0;
  };

  static Hash hash(const std::string& s);
  std::string new_resume(Slot& slot);
  Result<JoinResult> claim_joiner(PeerId peer, Room& room, int64_t now_ms);
  JoinResult joined(Room& room, int slot_index) const;
  std::optional<uint32_t> allocate_nameplate();
  void destroy(const std::string& room_id, std::vector<Expired>* out, CloseCode code);

  RoomLimits limits_;
  RandomFn rng_;
  std::unordered_map<std::string, Room> rooms_;
  std::unordered_map<uint32_t, std::string> nameplates_;
  std::unordered_map<PeerId, std::pair<std::string, int>> peers_;  // -> room id, slot index
};

}  // namespace ferry::server
