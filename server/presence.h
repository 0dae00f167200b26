// Presence rooms for nearby devices: the connections that announced themselves (protocol/
// nearby.h), grouped by their public address, so that pages open on one network see each other.
// Plain logic, no lock of its own: SharedState calls it under its mutex and sends what each call
// returns.
//
//   connection --nearby{...}--> member of its group (visible or hidden) --nearby_leave / close--> gone
//
// - The group key is the connection's limit key (client_address.h): the IPv4 address or the
//   IPv6 /64, after a trusted proxy's forwarded address. It is kept here to group, and never
//   written to a log, a metric or a message.
// - Every change of a group sends each member the list of the group's other visible devices.
//   A member learns nothing about any other group: an invitation to an id of another group, of a
//   hidden device, or of itself is refused with the same error as an id that never existed.
// - Limits: kMaxDevicesPerGroup members per group (an office behind one NAT gets a full group,
//   not a server that fans out to thousands), and a token bucket per connection on presence
//   messages (announces, leaves and invitations), so a flood of renames or toggles costs the
//   server a bounded fan-out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/nearby.h"
#include "room_registry.h"
#include "token_bucket.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::server {

// A household or a small office; a bigger network behind one address gets nearby_full. Each
// change sends the list to every member, so a group costs at most this squared in entries.
constexpr size_t kMaxDevicesPerGroup = 32;
// Presence messages per connection: a page announces once, then toggles hiding or invites
// now and then. A burst of 8 covers a page that loads and a person who taps a few tiles.
constexpr double kPresenceBurst = 8;
constexpr double kPresencePerSecond = 0.5;

class Presence {
 public:
  explicit Presence(RandomFn rng) : rng_(std::move(rng)) {}

  // Envelopes to send, by connection.
  using Sends = std::vector<std::pair<PeerId, std::string>>;

  // One presence message from connection `peer` whose limit key is `group`. `own_room` is the
  // room the connection is in, if any (for invitations). Errors (sent back as `error`):
  // nearby_rate, nearby_full, not_nearby (an invitation before an announce), unknown_device,
  // not_your_room.
  Result<Sends> on_message(PeerId peer, const std::string& group, const protocol::NearbyClientMessage& m,
                           const std::string* own_room, int64_t now_ms);
  // The connection closed.
  Sends detach(PeerId peer);

  size_t device_count() const { return members_.size(); }
  size_t visible_count() const;
  size_t group_count() const { return groups_.size(); }
  uint64_t invitations() const { return invitations_; }
  // Prometheus lines: ferry_presence_devices, ferry_presence_visible, ferry_presence_groups,
  // ferry_presence_invitations_total. Counts only: no address, no name.
  std::string metrics_text() const;

 private:
  struct Member {
    std::string group;
    protocol::NearbyDevice device;  // its id, name and type
    bool visible = true;
  };

  Result<Sends> announce(PeerId peer, const std::string& group, const protocol::NearbyAnnounce& a);
  Result<Sends> invite(PeerId peer, const protocol::NearbyInvite& i, const std::string* own_room);
  Sends leave(PeerId peer);
  // Sends every member of the group the others' visible devices.
  void broadcast(const std::string& group, Sends& out) const;

  RandomFn rng_;
  std::unordered_map<PeerId, Member> members_;
  std::unordered_map<std::string, std::vector<PeerId>> groups_;  // key -> members, in join order
  std::unordered_map<PeerId, TokenBucket> buckets_;  // per connection, kept across leave and announce
  uint64_t invitations_ = 0;
};

}  // namespace ferry::server
