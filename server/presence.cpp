// Presence groups and invitations (see presence.h).
#include "presence.h"

#include <algorithm>

namespace ferry::server {

namespace proto = ferry::protocol;

namespace {
constexpr size_t kPresenceIdBytes = 12;  // 16 base64url characters, proto::kPresenceIdChars
}  // namespace

Result<Presence::Sends> Presence::on_message(PeerId peer, const std::string& group,
                                             const proto::NearbyClientMessage& m, const std::string* own_room,
                                             int64_t now_ms) {
  auto bucket = buckets_.try_emplace(peer, kPresenceBurst, kPresencePerSecond, now_ms).first;
  if (!bucket->second.take(now_ms)) {
    return make_error("nearby_rate", "too many nearby updates; wait a moment");
  }
  if (const auto* a = std::get_if<proto::NearbyAnnounce>(&m)) return announce(peer, group, *a);
  if (const auto* i = std::get_if<proto::NearbyInvite>(&m)) return invite(peer, *i, own_room);
  return leave(peer);
}

Result<Presence::Sends> Presence::announce(PeerId peer, const std::string& group, const proto::NearbyAnnounce& a) {
  Sends out;
  auto it = members_.find(peer);
  if (it == members_.end()) {
    auto& members = groups_[group];
    if (members.size() >= kMaxDevicesPerGroup) {
      return make_error("nearby_full", "too many devices on this network are showing Ferry");
    }
    Member m;
    m.group = group;
    Bytes id(kPresenceIdBytes);
    rng_(id.data(), id.size());
    m.device.id = to_base64url(id);
    it = members_.emplace(peer, std::move(m)).first;
    members.push_back(peer);
  }
  Member& m = it->second;
  m.device.name = a.name;
  m.device.device = a.device;
  m.visible = a.visible;
  broadcast(m.group, out);
  return out;
}

Result<Presence::Sends> Presence::invite(PeerId peer, const proto::NearbyInvite& i, const std::string* own_room) {
  auto from = members_.find(peer);
  if (from == members_.end()) return make_error("not_nearby", "announce this device (nearby) before inviting");
  if (!own_room || *own_room != i.room) return make_error("not_your_room", "a device may invite only into its own room");
  // Only the inviter's own group is searched, so an id of another group is simply not found.
  const auto& members = groups_.at(from->second.group);
  auto to = std::find_if(members.begin(), members.end(), [&](PeerId p) {
    const Member& m = members_.at(p);
    return p != peer && m.visible && m.device.id == i.to;
  });
  if (to == members.end()) return make_error("unknown_device", "no such device nearby");
  ++invitations_;
  return Sends{{*to, proto::serialize(proto::NearbyServerMessage{
                         proto::NearbyInvited{from->second.device, i.room, i.token}})}};
}

Presence::Sends Presence::leave(PeerId peer) {
  Sends out;
  auto it = members_.find(peer);
  if (it == members_.end()) return out;
  std::string group = std::move(it->second.group);
  members_.erase(it);
  auto g = groups_.find(group);
  std::erase(g->second, peer);
  if (g->second.empty()) {
    groups_.erase(g);
  } else {
    broadcast(group, out);
  }
  return out;
}

Presence::Sends Presence::detach(PeerId peer) {
  buckets_.erase(peer);
  return leave(peer);
}

void Presence::broadcast(const std::string& group, Sends& out) const {
  const auto& members = groups_.at(group);
  for (PeerId to : members) {
    proto::NearbyList list;
    for (PeerId p : members) {
      const Member& m = members_.at(p);
      if (p != to && m.visible) list.devices.push_back(m.device);
    }
    out.emplace_back(to, proto::serialize(proto::NearbyServerMessage{std::move(list)}));
  }
}

size_t Presence::visible_count() const {
  return static_cast<size_t>(
      std::count_if(members_.begin(), members_.end(), [](const auto& m) { return m.second.visible; }));
}

std::string Presence::metrics_text() const {
  std::string o;
  auto gauge = [&](const char* name, const char* type, const char* help, uint64_t value) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(value) + "\n";
  };
  gauge("ferry_presence_devices", "gauge", "Connections announced as nearby devices (hidden ones included).",
        members_.size());
  gauge("ferry_presence_visible", "gauge", "Nearby devices listed to their group.", visible_count());
  gauge("ferry_presence_groups", "gauge", "Address groups with at least one nearby device.", groups_.size());
  gauge("ferry_presence_invitations_total", "counter", "Nearby invitations passed on.", invitations_);
  return o;
}

}  // namespace ferry::server
