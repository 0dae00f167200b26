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
//
// The joiner's seat (slot 1), and who may take it:
//   free --join--> unconfirmed --pake_confirmed (creator)--> confirmed (kept; the code is spent)
//   unconfirmed --pake_failed (creator)--> free, one failure counted (kPakeFailed)
//   unconfirmed --reject_peer (creator)--> free, nothing counted      (kRejected)
//   unconfirmed --confirm_timeout_ms since the claim--> free          (kUnconfirmed)
//   unconfirmed by nameplate --token join--> the token joiner's       (kSeatTaken)
//   confirmed --pake_failed--> its connection closed (kPakeFailed), the seat and resume token kept
// A code is short, so the creator's guesses are counted: max_pake_failures per code (then the
// nameplate burns), and max_room_failures per room over every join path; a room at that limit
// is locked: it admits nobody new, and only its two seats' resume tokens still get in (an
// unconfirmed joiner's does not).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
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
  // Failed handshakes in one room over every join path (code, link, rejoin) before it admits
  // nobody new: three codes' worth and a few more, far beyond a person's typos, and it bounds
  // what a link holder can try against the creator.
  int max_room_failures = 10;
  // A joiner must complete the handshake (the creator reports pake_confirmed) within this long
  // of taking the seat, else the seat is freed: a handshake takes well under a second, and 30 s
  // leaves room for a phone on a slow link, while a squatter holds the seat for 30 s at most.
  int64_t confirm_timeout_ms = 30 * 1000;
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
  // An unconfirmed nameplate joiner whose seat a token join took, to close with kSeatTaken; the
  // creator (other) gets peer_left for it before peer_joined.
  std::optional<PeerId> displaced;
};

struct PakeResult {
  std::optional<PeerId> evicted;  // the joiner to close with kPakeFailed
  bool burned = false;            // the nameplate is gone for good
};

// A joiner sent away by the creator (reject_peer).
struct RejectResult {
  std::optional<PeerId> evicted;  // to close with kRejected; the creator gets peer_left
};

struct Expired {
  PeerId peer;
  CloseCode code;
  std::optional<PeerId> notify;  // the other peer, to get peer_left (an expired unconfirmed joiner)
};

// --redis: a room as another instance needs it to take the room over when its own instance dies
// (redis_rooms.h). Only hashes of the secrets; the seats' connections are not part of it (they
// were on the dead instance), so an imported room starts with both seats away, in their grace.
struct RoomRecord {
  using Hash = std::array<uint8_t, 32>;
  struct Seat {
    bool claimed = false;
    bool gone = false;
    bool confirmed = false;
    bool by_nameplate = false;
    Hash resume_hash{};
  };
  std::string id;
  Hash token_hash{};
  std::optional<uint32_t> nameplate;
  std::optional<uint32_t> claimed_nameplate;
  std::array<Seat, 2> seats;
  int64_t age_ms = 0;  // since the create: monotonic clocks differ between machines
  int code_failures = 0;
  int total_failures = 0;
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
  // The creator's reports about the joiner's handshake, and its requests. Errors: not_in_room,
  // not_creator, no_peer (no joiner), not_allowed (reject a confirmed joiner), room_locked,
  // room_confirmed (a new code once a joiner confirmed), no_nameplate (none free).
  Result<PakeResult> pake_failed(PeerId peer, int64_t now_ms);
  Status pake_confirmed(PeerId peer, int64_t now_ms);
  Result<RejectResult> reject_peer(PeerId peer, int64_t now_ms);
  // The fresh nameplate; min_range widens the numbers it picks from (allocate_nameplate).
  Result<std::string> new_code(PeerId peer, int64_t now_ms, uint64_t min_range = 0);
  // The connection closed. Returns the other peer, to get peer_left.
  std::optional<PeerId> disconnect(PeerId peer, int64_t now_ms);
  // Drops expired rooms and slots; returns the connections to close.
  std::vector<Expired> sweep(int64_t now_ms);

  bool in_room(PeerId peer) const { return peers_.count(peer) != 0; }
  size_t room_count() const { return rooms_.size(); }
  size_t peer_count() const { return peers_.size(); }
  size_t nameplate_count() const { return nameplates_.size(); }
  // The room's failed handshakes so far (all codes and paths), 0 for an unknown room.
  int room_failures(const std::string& room_id) const;

  // --redis. has_room/has_nameplate: whether this instance holds it (else another may).
  bool has_room(const std::string& room_id) const { return rooms_.count(room_id) != 0; }
  bool has_nameplate(uint32_t n) const { return nameplates_.count(n) != 0; }
  // From track_changes() on, every room whose record changed (or that was destroyed) is noted
  // until take_changed() hands the ids over; without it nothing is noted.
  void track_changes() { tracking_ = true; }
  std::vector<std::string> take_changed();
  std::optional<RoomRecord> export_room(const std::string& room_id, int64_t now_ms) const;
  // A room another instance held; refused when one with its id is here already. Its nameplate is
  // kept only when free here.
  Status import_room(const RoomRecord& record, int64_t now_ms);
  // The room's code stops working here (Redis gave the number to another instance's room).
  void drop_nameplate(const std::string& room_id);
  // Ends a room here at once (another instance owns it now); returns its connections to close.
  std::vector<Expired> drop_room(const std::string& room_id, CloseCode code);

 private:
  using Hash = std::array<uint8_t, 32>;
  struct Slot {
    bool claimed = false;
    bool gone = false;  // held past the grace period: the resume token no longer works
    std::optional<PeerId> peer;
    Hash resume_hash{};
    int64_t left_ms = 0;
    // The joiner's seat only (the creator's is always confirmed):
    bool confirmed = false;
    bool by_nameplate = false;  // taken with the short code, so a token join may displace it
    int64_t claimed_ms = 0;     // start of the confirm_timeout_ms window (not reset by rejoins)
  };
  struct Room {
    std::string id;
    Hash token_hash{};
    std::optional<uint32_t> nameplate;  // registered in nameplates_ while set
    std::optional<uint32_t> claimed_nameplate;  // the number a joiner used, re-offered after a failed PAKE
    std::array<Slot, 2> slots;  // 0: creator, 1: joiner
    int64_t created_ms = 0;
    int code_failures = 0;   // of the current code; reset by new_code
    int total_failures = 0;  // of the room, over every code and join path
  };

  static Hash hash(const std::string& s);
  std::string new_resume(Slot& slot);
  Result<JoinResult> claim_joiner(PeerId peer, Room& room, bool by_nameplate, int64_t now_ms);
  // The creator's room, or not_in_room / not_creator.
  Result<Room*> creators_room(PeerId peer);
  bool locked(const Room& room) const { return room.total_failures >= limits_.max_room_failures; }
  // Frees the joiner's seat; returns its connection, if it had one.
  std::optional<PeerId> free_joiner(Room& room);
  void release_nameplate(Room& room);
  // The code a joiner claimed becomes joinable again (its attempt ended without a guess counted
  // against it, or with fewer than the limit).
  void reoffer_nameplate(Room& room);
  JoinResult joined(Room& room, int slot_index) const;
  std::optional<uint32_t> allocate_nameplate(uint64_t min_range = 0);
  void destroy(const std::string& room_id, std::vector<Expired>* out, CloseCode code);
  void touch(const std::string& room_id) {
    if (tracking_) changed_.insert(room_id);
  }

  RoomLimits limits_;
  RandomFn rng_;
  std::unordered_map<std::string, Room> rooms_;
  std::unordered_map<uint32_t, std::string> nameplates_;
  std::unordered_map<PeerId, std::pair<std::string, int>> peers_;  // -> room id, slot index
  bool tracking_ = false;
  std::unordered_set<std::string> changed_;
};

}  // namespace ferry::server
