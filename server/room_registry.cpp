// Room lifecycle logic (see room_registry.h).
#include "room_registry.h"

#include <sodium.h>

#include "session/ids.h"

namespace ferry::server {
namespace {

// One answer for an unknown room and a wrong token, so the reply is no oracle for room ids.
Error refused() { return make_error("join_refused", "no room with this id and token"); }

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

std::optional<uint32_t> RoomRegistry::allocate_nameplate() {
  // Short numbers while the server is quiet; the range grows with the number in use so random
  // picks rarely collide.
  uint64_t range = std::max<uint64_t>(99, 10 * static_cast<uint64_t>(nameplates_.size()));
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

Result<JoinResult> RoomRegistry::claim_joiner(PeerId peer, Room& room, int64_t now_ms) {
  (void)now_ms;
  Slot& slot = room.slots[1];
  if (slot.claimed) return make_error("room_full", "this room already has two peers");
  slot.claimed = true;
  slot.gone = false;
  slot.peer = peer;
  JoinResult r = joined(room, 1);
  r.resume = new_resume(slot);
  peers_[peer] = {room.id, 1};
  return r;
}

Result<JoinResult> RoomRegistry::join_by_token(PeerId peer, const std::string& room_id, const std::string& token,
                                               int64_t now_ms) {
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return refused();
  Hash h = hash(token);
  if (sodium_memcmp(h.data(), it->second.token_hash.data(), h.size()) != 0) return refused();
  return claim_joiner(peer, it->second, now_ms);
}

Result<JoinResult> RoomRegistry::join_by_nameplate(PeerId peer, const std::string& nameplate, int64_t now_ms) {
  if (peers_.count(peer)) return make_error("already_in_room", "this connection is already in a room");
  auto n = session::parse_nameplate(nameplate);
  if (!n) return make_error("no_such_nameplate", "no room with this code");
  auto np = nameplates_.find(*n);
  if (np == nameplates_.end()) return make_error("no_such_nameplate", "no room with this code");
  Room& room = rooms_.at(np->second);
  auto r = claim_joiner(peer, room, now_ms);
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
    JoinResult r = joined(room, i);
    if (slot.peer) {
      // The old connection has not noticed its drop yet; the new one takes over.
      r.replaced = slot.peer;
      peers_.erase(*slot.peer);
    }
    slot.peer = peer;
    r.resume = new_resume(slot);  // one resume token per connection: an old copy stops working
    peers_[peer] = {room.id, i};
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

Result<PakeResult> RoomRegistry::pake_failed(PeerId peer, int64_t now_ms) {
  (void)now_ms;
  auto p = peers_.find(peer);
  if (p == peers_.end()) return make_error("not_in_room", "create or join a room first");
  if (p->second.second != 0) return make_error("not_creator", "only the room's creator reports PAKE failures");
  Room& room = rooms_.at(p->second.first);
  PakeResult r;
  Slot& joiner = room.slots[1];
  if (joiner.peer) {
    r.evicted = joiner.peer;
    peers_.erase(*joiner.peer);
  }
  joiner = Slot{};  // reopened for the link holder or another short-code attempt
  ++room.failures;
  if (room.failures >= limits_.max_pake_failures) {
    if (room.nameplate) nameplates_.erase(*room.nameplate);
    room.nameplate.reset();
    room.claimed_nameplate.reset();
    r.burned = true;
  } else if (room.claimed_nameplate && !nameplates_.count(*room.claimed_nameplate)) {
    room.nameplate = room.claimed_nameplate;
    nameplates_[*room.nameplate] = room.id;
  }
  return r;
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
      out->push_back({*slot.peer, code});
      peers_.erase(*slot.peer);
    }
  }
  if (room.nameplate) nameplates_.erase(*room.nameplate);
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
    bool anyone = false;
    for (auto& slot : room.slots) {
      if (slot.claimed && !slot.peer && !slot.gone && now_ms >= slot.left_ms + limits_.grace_ms) slot.gone = true;
      if (slot.claimed && (slot.peer || !slot.gone)) anyone = true;
    }
    if (!anyone) doomed.push_back(id);
  }
  for (const auto& id : doomed) destroy(id, &out, CloseCode::kRoomExpired);
  return out;
}

}  // namespace ferry::server
