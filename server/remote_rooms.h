// --redis: what SharedState asks of the rooms on other instances (redis_rooms.h implements it).
// Without --redis SharedState has none and never calls it. SharedState calls it only outside
// its mutex, and it calls SharedState back only outside its own locks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/signal.h"
#include "room_registry.h"

namespace ferry::server {

class Peer;
struct ReadPause;

class RemoteRooms {
 public:
  virtual ~RemoteRooms() = default;

  // An entry this instance cannot answer from its own rooms: a join by link or a rejoin of a room
  // it does not hold (key: the room id), or a join by a code it does not hold (key: the code's
  // number). text: the entry, re-serialized. Looks the room up in Redis and then forwards the
  // connection to the room's instance, takes the room over (its instance is dead), or answers
  // the client with the same error a single instance gives. The connection reads nothing more
  // until the returned gate drains.
  enum class Key { kRoom, kNameplate };
  virtual std::weak_ptr<Peer> route(PeerId id, std::weak_ptr<Peer> client, const std::string& ip, bool jwt_valid,
                                    Key kind, std::string key, std::string text) = 0;
  // A message of a forwarded connection (sizes already checked): published to the room's
  // instance, which parses and limits it as its own. The pause holds the sender while more than
  // kRelayQueueHighBytes of its messages are unanswered.
  virtual ReadPause forward(PeerId id, std::string_view data, bool binary) = 0;
  // A connection of this instance ended (forwarded or not).
  virtual void detached(PeerId id) = 0;
  // A new room: its record is stored (its code claimed in Redis, SET NX) before the creator gets
  // `created`; a code another instance holds is replaced (SharedState::reroll_code) first.
  // Returns the creator's gate, open once `created` went out.
  virtual std::weak_ptr<Peer> created(PeerId id, std::weak_ptr<Peer> client, protocol::Created message,
                                      RoomRecord record) = 0;
  // Rooms whose record changed: stored (nullopt: the room is gone, its keys deleted).
  virtual void store(std::vector<std::pair<std::string, std::optional<RoomRecord>>> rooms) = 0;
};

}  // namespace ferry::server
