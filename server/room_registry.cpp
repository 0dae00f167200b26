// Room lifecycle logic (see room_registry.h).
#include "room_registry.h"

#include <sodium.h>

#include "session/ids.h"

namespace ferry::server {
namespace {

// One answer for an unknown room and a wrong token, so the reply is no oracle for room ids.
Error refused() { return make_error("join_refused", "no room with this id and token"); }

Error room_locked() {
  return make_error("room_locked", "too many failed attempts in this room: it admits nobody new");
}

}  // namespace

RoomRegistry::Hash RoomRegistry::hash(const std::string& s) {
  Hash h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(), nullptr, 0);
  return h;
}

std::string RoomRegistry::new_resume(Slot& slot) {
  std::string resume = session::ResumeToken::generate(rng_).str();
  slot.resume_hash = hash(resume);
  return resume;
}

std::optional<uint32_t> RoomRegistry::allocate_nameplate(uint64_t min_range) {
  // Short numbers while the server is quiet; the range grows with the number in use so random
  // picks rarely collide. min_range: wider still (--redis: other instances hold codes too).
  uint64_t range = std::max<uint64_t>({99, 10 * static_cast<uint64_t>(nameplates_.size()), min_range});
  range = std::min<uint64_t>(range, session::kMaxNameplate);
  for (int attempt = 0; attempt < 32; ++attempt) {
    uint32_t r = 0;
    rng_(reinterpret_cast<uint8_t*>(&r), sizeof r);
    auto n = static_cast<uint32_t>(1 + r % range);
    if (!nameplates_.count(n)) return n;
  }
  return std::nullopt;  // the room still works by link
}

Result<CreateResult> RoomRegistry::create(PeerId peer, int64_t now_ms) {
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  Room room;
  room.id = session::RoomId::generate(rng_).str();
  while (rooms_.count(room.id)) room.id = session::RoomId::generate(rng_).str();
  std::string token = session::JoinToken::generate(rng_).str();
  room.token_hash = hash(token);
  room.created_ms = now_ms;
  room.nameplate = allocate_nameplate();
  room.slots[0].claimed = true;
  room.slots[0].peer = peer;
  CreateResult r;
  r.resume = new_resume(room.slots[0]);
  r.room = room.id;
  r.token = token;
  r.nameplate = room.nameplate ? session::format_nameplate(*room.nameplate) : "";
  r.expires_ms = now_ms + limits_.unjoined_ttl_ms;
  if (room.nameplate) nameplates_[*room.nameplate] = room.id;
  peers_[peer] = {room.id, 0};
  touch(room.id);
  rooms_.emplace(room.id, std::move(room));
  return r;
}

JoinResult RoomRegistry::joined(Room& room, int slot_index) const {
  JoinResult r;
  r.room = room.id;
  r.expires_ms = room.created_ms + limits_.hard_cap_ms;
  r.creator = slot_index == 0;
  r.other = room.slots[1 - slot_index].peer;
  return r;
}

Result<JoinResult> RoomRegistry::claim_joiner(PeerId peer, Room& room, bool by_nameplate, int64_t now_ms) {
  if (locked(room)) return room_locked();
  Slot& slot = room.slots[1];
  std::optional<PeerId> displaced;
  if (slot.claimed) {
    // A squatter who knows only the nameplate must not keep the link holder out. A link (token)
    // joiner is not displaced: it holds the same secret, and it expires if it never confirms.
    bool displaceable = !by_nameplate && slot.by_nameplate && !slot.confirmed;
    if (!displaceable) return make_error("room_full", "this room already has two peers");
    displaced = free_joiner(room);
  }
  slot.claimed = true;
  slot.gone = false;
  slot.peer = peer;
  slot.confirmed = false;
  slot.by_nameplate = by_nameplate;
  slot.claimed_ms = now_ms;
  JoinResult r = joined(room, 1);
  r.resume = new_resume(slot);
  r.displaced = displaced;
  peers_[peer] = {room.id, 1};
  touch(room.id);
  return r;
}

Result<JoinResult> RoomRegistry::join_by_token(PeerId peer, const std::string& room_id, const std::string& token,
                                               int64_t now_ms) {
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return refused();
  Hash h = hash(token);
  if (sodium_memcmp(h.data(), it->second.token_hash.data(), h.size()) != 0) return refused();
  return claim_joiner(peer, it->second, false, now_ms);
}

Result<JoinResult> RoomRegistry::join_by_nameplate(PeerId peer, const std::string& nameplate, int64_t now_ms) {
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  auto n = session::parse_nameplate(nameplate);
  if (!n) return make_error("no_such_nameplate", "no room with this code");
  auto np = nameplates_.find(*n);
  if (np == nameplates_.end()) return make_error("no_such_nameplate", "no room with this code");
  Room& room = rooms_.at(np->second);
  auto r = claim_joiner(peer, room, true, now_ms);
  if (r) {
    // Claimed: the number goes back to the pool. Remembered, so a failed PAKE can re-offer it.
    room.claimed_nameplate = *n;
    room.nameplate.reset();
    nameplates_.erase(np);
  }
  return r;
}

Result<JoinResult> RoomRegistry::rejoin(PeerId peer, const std::string& room_id, const std::string& resume,
                                        int64_t now_ms) {
  (void)now_ms;
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return make_error("resume_refused", "no room with this id and resume token");
  Room& room = it->second;
  Hash h = hash(resume);
  for (int i = 0; i < 2; ++i) {
    Slot& slot = room.slots[i];
    if (!slot.claimed || slot.gone) continue;
    if (sodium_memcmp(h.data(), slot.resume_hash.data(), h.size()) != 0) continue;
    // Past the failure limit only the creator and a confirmed joiner come back.
    if (i == 1 && !slot.confirmed && locked(room)) return room_locked();
    JoinResult r = joined(room, i);
    if (slot.peer) {
      // The old connection has not noticed its drop yet; the new one takes over.
      r.replaced = slot.peer;
      peers_.erase(*slot.peer);
    }
    slot.peer = peer;
    r.resume = new_resume(slot);  // one resume token per connection: an old copy stops working
    peers_[peer] = {room.id, i};
    touch(room.id);
    return r;
  }
  return make_error("resume_refused", "no room with this id and resume token");
}

Result<PeerId> RoomRegistry::relay_target(PeerId peer) const {
  auto route = relay_route(peer);
  if (!route) return route.error();
  if (!route->to) return make_error("no_peer", "the other peer is not connected");
  return *route->to;
}

Result<RoomRegistry::RelayRoute> RoomRegistry::relay_route(PeerId peer) const {
  auto p = peers_.find(peer);
  if (p == peers_.end()) return make_error("not_in_room", "create or join a room first");
  const Room& room = rooms_.at(p->second.first);
  return RelayRoute{&room.id, room.slots[1 - p->second.second].peer};
}

Result<RoomRegistry::Room*> RoomRegistry::creators_room(PeerId peer) {
  auto p = peers_.find(peer);
  if (p == peers_.end()) return make_error("not_in_room", "create or join a room first");
  if (p->second.second != 0) return make_error("not_creator", "only the room's creator may send this");
  return &rooms_.at(p->second.first);
}

std::optional<PeerId> RoomRegistry::free_joiner(Room& room) {
  Slot& joiner = room.slots[1];
  touch(room.id);
  std::optional<PeerId> was = joiner.peer;
  if (was) peers_.erase(*was);
  joiner = Slot{};  // its resume token stops working with it
  return was;
}

void RoomRegistry::release_nameplate(Room& room) {
  touch(room.id);
  if (room.nameplate) nameplates_.erase(*room.nameplate);
  room.nameplate.reset();
  room.claimed_nameplate.reset();
}

void RoomRegistry::reoffer_nameplate(Room& room) {
  touch(room.id);
  if (room.claimed_nameplate && !nameplates_.count(*room.claimed_nameplate)) {
    room.nameplate = room.claimed_nameplate;
    nameplates_[*room.nameplate] = room.id;
  }
}

Result<PakeResult> RoomRegistry::pake_failed(PeerId peer, int64_t now_ms) {
  auto r0 = creators_room(peer);
  if (!r0) return r0.error();
  Room& room = **r0;
  PakeResult r;
  Slot& joiner = room.slots[1];
  if (joiner.confirmed) {
    // A failed re-handshake on a confirmed seat: this connection goes, the seat stays with the
    // resume token that proved the secret once (it may come back within grace, also once the
    // room is locked). Its guesses are counted all the same, and the creator budgets its own.
    if (joiner.peer) {
      r.evicted = joiner.peer;
      peers_.erase(*joiner.peer);
      joiner.peer.reset();
      joiner.left_ms = now_ms;
    }
  } else {
    r.evicted = free_joiner(room);  // reopened for the link holder or another short-code attempt
  }
  ++room.code_failures;
  ++room.total_failures;
  touch(room.id);
  if (room.code_failures >= limits_.max_pake_failures || locked(room)) {
    release_nameplate(room);
    r.burned = true;
  } else {
    reoffer_nameplate(room);
  }
  return r;
}

Status RoomRegistry::pake_confirmed(PeerId peer, int64_t now_ms) {
  (void)now_ms;
  auto r0 = creators_room(peer);
  if (!r0) return r0.error();
  Room& room = **r0;
  Slot& joiner = room.slots[1];
  if (!joiner.claimed || joiner.gone) return make_error("no_peer", "no joiner to confirm");
  joiner.confirmed = true;
  release_nameplate(room);  // spent: a code is good for one session
  return Ok{};
}

Result<RejectResult> RoomRegistry::reject_peer(PeerId peer, int64_t now_ms) {
  (void)now_ms;
  auto r0 = creators_room(peer);
  if (!r0) return r0.error();
  Room& room = **r0;
  Slot& joiner = room.slots[1];
  if (!joiner.claimed || joiner.gone) return make_error("no_peer", "no joiner to reject");
  if (joiner.confirmed) return make_error("not_allowed", "a confirmed joiner cannot be rejected");
  return RejectResult{free_joiner(room)};
}

Result<std::string> RoomRegistry::new_code(PeerId peer, int64_t now_ms, uint64_t min_range) {
  (void)now_ms;
  auto r0 = creators_room(peer);
  if (!r0) return r0.error();
  Room& room = **r0;
  if (locked(room)) return room_locked();
  if (room.slots[1].confirmed) {
    return make_error("room_confirmed", "a joiner has confirmed: this room takes no code any more");
  }
  auto n = allocate_nameplate(min_range);  // before the old one is released, so the number changes
  if (!n) return make_error("no_nameplate", "no short code is free right now; the link still works");
  release_nameplate(room);
  room.nameplate = n;
  room.code_failures = 0;
  nameplates_[*n] = room.id;
  touch(room.id);
  return session::format_nameplate(*n);
}

int RoomRegistry::room_failures(const std::string& room_id) const {
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? 0 : it->second.total_failures;
}

std::optional<PeerId> RoomRegistry::disconnect(PeerId peer, int64_t now_ms) {
  auto p = peers_.find(peer);
  if (p == peers_.end()) return std::nullopt;
  Room& room = rooms_.at(p->second.first);
  int i = p->second.second;
  peers_.erase(p);
  room.slots[i].peer.reset();
  room.slots[i].left_ms = now_ms;
  return room.slots[1 - i].peer;
}

void RoomRegistry::destroy(const std::string& room_id, std::vector<Expired>* out, CloseCode code) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  Room& room = it->second;
  for (auto& slot : room.slots) {
    if (slot.peer) {
      out->push_back({*slot.peer, code, std::nullopt});
      peers_.erase(*slot.peer);
    }
  }
  if (room.nameplate) nameplates_.erase(*room.nameplate);
  touch(room_id);
  rooms_.erase(it);
}

std::vector<Expired> RoomRegistry::sweep(int64_t now_ms) {
  std::vector<Expired> out;
  std::vector<std::string> doomed;
  for (auto& [id, room] : rooms_) {
    if (now_ms >= room.created_ms + limits_.hard_cap_ms) {
      doomed.push_back(id);
      continue;
    }
    if (!room.slots[1].claimed && now_ms >= room.created_ms + limits_.unjoined_ttl_ms) {
      doomed.push_back(id);
      continue;
    }
    Slot& joiner = room.slots[1];
    if (joiner.claimed && !joiner.confirmed && now_ms >= joiner.claimed_ms + limits_.confirm_timeout_ms) {
      // A squatter, or a handshake that never finished. No guess was made: nothing counted, and
      // the code it used (if any) is offered again for the person it was meant for.
      std::optional<PeerId> creator = room.slots[0].peer;
      if (auto was = free_joiner(room)) out.push_back({*was, CloseCode::kUnconfirmed, creator});
      reoffer_nameplate(room);
    }
    bool anyone = false;
    for (auto& slot : room.slots) {
      if (slot.claimed && !slot.peer && !slot.gone && now_ms >= slot.left_ms + limits_.grace_ms) {
        slot.gone = true;
        touch(id);
      }
      if (slot.claimed && (slot.peer || !slot.gone)) anyone = true;
    }
    if (!anyone) doomed.push_back(id);
  }
  for (const auto& id : doomed) destroy(id, &out, CloseCode::kRoomExpired);
  return out;
}

void RoomRegistry::drop_nameplate(const std::string& room_id) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  if (it->second.nameplate) nameplates_.erase(*it->second.nameplate);
  it->second.nameplate.reset();
  touch(room_id);
}

std::vector<Expired> RoomRegistry::drop_room(const std::string& room_id, CloseCode code) {
  std::vector<Expired> out;
  destroy(room_id, &out, code);
  return out;
}

std::vector<std::string> RoomRegistry::take_changed() {
  std::vector<std::string> out(changed_.begin(), changed_.end());
  changed_.clear();
  return out;
}

std::optional<RoomRecord> RoomRegistry::export_room(const std::string& room_id, int64_t now_ms) const {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return std::nullopt;
  const Room& room = it->second;
  RoomRecord r;
  r.id = room.id;
  r.token_hash = room.token_hash;
  r.nameplate = room.nameplate;
  r.claimed_nameplate = room.claimed_nameplate;
  for (int i = 0; i < 2; ++i) {
    const Slot& slot = room.slots[i];
    r.seats[i] = RoomRecord::Seat{slot.claimed, slot.gone, slot.confirmed, slot.by_nameplate, slot.resume_hash};
  }
  r.age_ms = now_ms - room.created_ms;
  r.code_failures = room.code_failures;
  r.total_failures = room.total_failures;
  return r;
}

Status RoomRegistry::import_room(const RoomRecord& record, int64_t now_ms) {
  if (rooms_.count(record.id)) return make_error("room_exists", "this instance holds the room already");
  Room room;
  room.id = record.id;
  room.token_hash = record.token_hash;
  if (record.nameplate && !nameplates_.count(*record.nameplate)) room.nameplate = record.nameplate;
  room.claimed_nameplate = record.claimed_nameplate;
  for (int i = 0; i < 2; ++i) {
    const RoomRecord::Seat& seat = record.seats[i];
    Slot& slot = room.slots[i];
    slot.claimed = seat.claimed;
    slot.gone = seat.gone;
    slot.confirmed = seat.confirmed;
    slot.by_nameplate = seat.by_nameplate;
    slot.resume_hash = seat.resume_hash;
    slot.left_ms = now_ms;     // their connections died with the other instance: grace from now
    slot.claimed_ms = now_ms;  // an unconfirmed joiner gets a fresh confirm window
  }
  room.created_ms = now_ms - std::max<int64_t>(0, record.age_ms);
  room.code_failures = record.code_failures;
  room.total_failures = record.total_failures;
  if (room.nameplate) nameplates_[*room.nameplate] = room.id;
  touch(room.id);
  rooms_.emplace(room.id, std::move(room));
  return Ok{};
}

}  // namespace ferry::server
